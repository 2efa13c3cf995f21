"""Built-in VAE models (vae, beta-vae, cvae). Torch-free: registration only declares metadata and lazy targets."""

from gensynth import ModelSpec, hookimpl
from gensynth.plugins.vae.config import BetaVAEConfig, CVAEConfig, VAEConfig

GENSYNTH_API = ">=1.0,<2"

#: Narrow layers for the conformance kit (``gensynth check``) and tests.
TEST_CONFIG = {"width": 4, "latent_dim": 4}

_MODELS = (
    ("vae", "vae:VAE", VAEConfig, ("latent", "reconstruct"),
     "Convolutional VAE (Kingma & Welling 2014), Bernoulli or Gaussian decoder, 28/32/64 px"),
    ("beta-vae", "beta_vae:BetaVAE", BetaVAEConfig, ("latent", "reconstruct"),
     "beta-VAE (Higgins et al. 2017): the VAE with KL weight beta and optional linear KL warm-up"),
    ("cvae", "cvae:CVAE", CVAEConfig, ("conditional", "latent", "reconstruct"),
     "Class-conditional VAE (Sohn et al. 2015): generates a chosen class; needs labelled data"),
)


@hookimpl
def register_models(register):
    for name, target, config, capabilities, summary in _MODELS:
        register(ModelSpec(
            name=name, family="vae", summary=summary, target=f"gensynth.plugins.vae.{target}", config=config,
            data="image", resolutions=(28, 32, 64), channels=(1, 3), capabilities=capabilities,
            test_config=dict(TEST_CONFIG),
        ))
