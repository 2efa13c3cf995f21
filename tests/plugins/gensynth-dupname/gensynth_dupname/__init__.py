"""A plugin registering a model whose short name collides with the built-in dcgan."""

from gensynth import ModelSpec, hookimpl
from gensynth.plugins.gan.config import DCGANConfig

GENSYNTH_API = ">=1,<2"


@hookimpl
def register_models(register):
    register(ModelSpec(name="dcgan", family="gan", summary="Another DCGAN", target="gensynth.plugins.gan.dcgan:DCGAN",
                       config=DCGANConfig, resolutions=(28,), channels=(1,)))
