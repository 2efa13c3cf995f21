"""Built-in GAN models. Torch-free: registration only declares metadata and lazy targets."""

from gensynth import LossSpec, ModelSpec, hookimpl
from gensynth.plugins.gan.config import DCGANConfig, MLPGANConfig

GENSYNTH_API = ">=1,<2"


@hookimpl
def register_models(register):
    register(ModelSpec(
        name="dcgan",
        family="gan",
        summary="Deep convolutional GAN (Radford et al. 2015) for 28, 32 or 64 px images",
        target="gensynth.plugins.gan.dcgan:DCGAN",
        config=DCGANConfig,
        data="image",
        resolutions=(28, 32, 64),
        channels=(1, 3),
        capabilities=(),
        test_config={"g_width": 8, "d_width": 8, "latent_dim": 16},
    ))
    register(ModelSpec(
        name="mlp-gan",
        family="gan",
        summary="GAN with MLP generator and discriminator for 2D toy data (ring8, grid25)",
        target="gensynth.plugins.gan.mlp_gan:MLPGAN",
        config=MLPGANConfig,
        data="points",
        capabilities=(),
        test_config={"hidden": 32, "depth": 2},
    ))


@hookimpl
def register_losses(register):
    register(LossSpec(name="bce", family="gan", summary="non-saturating GAN loss (binary cross-entropy)",
                      target="gensynth.plugins.gan.losses:NonSaturating"))
