"""Built-in VAE models (vae, beta-vae, cvae, iwae, vq-vae). Torch-free: registration only declares metadata
and lazy targets."""

from gensynth import CONDITIONAL, LATENT, RECONSTRUCT, ModelSpec, Recipe, hookimpl
from gensynth.plugins.vae.config import BetaVAEConfig, CVAEConfig, IWAEConfig, VAEConfig, VQVAEConfig

GENSYNTH_API = ">=1.0,<2"

#: Narrow layers for the conformance kit (``gensynth check``) and tests.
TEST_CONFIG = {"width": 4, "latent_dim": 4}
VQ_TEST_CONFIG = {"width": 4, "blocks": 1, "codebook_size": 8, "code_dim": 4, "prior_dim": 16, "prior_layers": 1,
                  "prior_heads": 2}


def residual(prior: str) -> Recipe:
    """The measured best per CPU minute on MNIST (benchmarks/vae_family.py), the config defaults; ``prior`` is
    the mixture for vae and iwae, the standard normal for beta-vae and cvae (see docs/models.md)."""
    what = "a learned mixture prior of 50 Gaussians" if prior == "mixture" else "the standard normal prior"
    config = {"width": 8, "blocks": 1, "lr": 5e-3, "decay_start": 0.5, "prior": prior}
    return Recipe("residual", f"one residual block at the coarsest level, {what}, Adam 5e-3 decayed linearly over "
                              "the second half: the best held-out NLL per CPU minute measured",
                  config={**config, "prior_components": 50} if prior == "mixture" else config,
                  training={"batch_size": 64})


#: The plain convolutional network and constant learning rate of earlier versions; faster per epoch.
CONV = Recipe(
    "conv", "plain stride-2 convolutions, standard normal prior, Adam 3e-3 constant (the default before the "
            "residual one)",
    config={"width": 8, "blocks": 0, "lr": 3e-3, "decay_start": 1.0, "prior": "normal"},
    training={"batch_size": 64},
)

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
            recipes=(residual(prior), CONV) if prior else (), default_recipe="residual" if prior else "",
        ))
