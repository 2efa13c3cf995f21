"""Built-in VAE models (vae, beta-vae, cvae, iwae, vq-vae). Torch-free: registration only declares metadata
and lazy targets."""

from gensynth import CONDITIONAL, LATENT, RECONSTRUCT, ModelSpec, Recipe, hookimpl
from gensynth.plugins.vae.config import BetaVAEConfig, CVAEConfig, IWAEConfig, VAEConfig, VQVAEConfig

GENSYNTH_API = ">=1.0,<2"

#: Narrow layers for the conformance kit (``gensynth check``) and tests.
TEST_CONFIG = {"width": 4, "latent_dim": 4}
VQ_TEST_CONFIG = {"width": 4, "blocks": 1, "codebook_size": 8, "code_dim": 4, "prior_dim": 16, "prior_layers": 1,
                  "prior_heads": 2}


#: The plain convolutional network and constant learning rate of the first versions.
CONV = Recipe(
    "conv", "plain stride-2 convolutions, standard normal prior, Adam 3e-3 constant (the first default)",
    config={"width": 8, "blocks": 0, "lr": 3e-3, "decay_start": 1.0, "prior": "normal"},
    training={"batch_size": 64},
)


def recipes(prior: str) -> tuple[Recipe, ...]:
    """The recipes of a Gaussian model whose default prior is ``prior`` (the mixture for vae and iwae, the
    standard normal for beta-vae and cvae; see docs/models.md); ``tuned``, the first, is the config defaults."""
    what = "a learned mixture prior of 50 Gaussians" if prior == "mixture" else "the standard normal prior"
    components = {"prior_components": 50} if prior == "mixture" else {}
    shared = {"width": 8, "decay_start": 0.5, "prior": prior, **components}
    tuned = Recipe("tuned", f"plain convolutions, {what}, Adam 8e-3 decayed linearly over the second half: the best "
                            "held-out NLL measured within 1.5x the time per epoch of the conv recipe",
                   config={**shared, "blocks": 0, "lr": 8e-3}, training={"batch_size": 64})
    residual = Recipe("residual", f"one residual block at the coarsest level, {what}, Adam 5e-3 decayed linearly "
                                  "over the second half: about 1 nat lower NLL on MNIST, slower per epoch",
                      config={**shared, "blocks": 1, "lr": 5e-3}, training={"batch_size": 64})
    return tuned, residual, CONV


#: name, target, config, capabilities, summary, prior of the default recipe (None: no recipes)
_MODELS = (
    ("vae", "vae:VAE", VAEConfig, (LATENT, RECONSTRUCT),
     "Convolutional VAE (Kingma & Welling 2014), Bernoulli or Gaussian decoder, 28/32/64 px", "mixture"),
    ("beta-vae", "beta_vae:BetaVAE", BetaVAEConfig, (LATENT, RECONSTRUCT),
     "beta-VAE (Higgins et al. 2017): the VAE with KL weight beta and optional linear KL warm-up", "normal"),
    ("cvae", "cvae:CVAE", CVAEConfig, (CONDITIONAL, LATENT, RECONSTRUCT),
     "Class-conditional VAE (Sohn et al. 2015): generates a chosen class; needs labelled data", "normal"),
    ("iwae", "iwae:IWAE", IWAEConfig, (LATENT, RECONSTRUCT),
     "Importance-weighted autoencoder (Burda et al. 2016): the VAE trained on the k-sample bound", "mixture"),
    ("vq-vae", "vqvae:VQVAE", VQVAEConfig, (RECONSTRUCT,),
     "VQ-VAE (van den Oord et al. 2017): discrete codes, EMA codebook, a transformer prior", None),
)


@hookimpl
def register_models(register):
    for name, target, config, capabilities, summary, prior in _MODELS:
        register(ModelSpec(
            name=name, family="vae", summary=summary, target=f"gensynth.plugins.vae.{target}", config=config,
            data="image", resolutions=(28, 32, 64), channels=(1, 3), capabilities=capabilities,
            test_config=dict(TEST_CONFIG if prior else VQ_TEST_CONFIG),
            recipes=recipes(prior) if prior else (), default_recipe="tuned" if prior else "",
        ))
