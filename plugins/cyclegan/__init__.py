"""Built-in CycleGAN. Torch-free: registration only declares metadata and a lazy target."""

from gensynth import ModelSpec, hookimpl
from gensynth.plugins.cyclegan.config import CycleGANConfig

GENSYNTH_API = ">=1.0,<2"


@hookimpl
def register_models(register):
    register(ModelSpec(
        name="cyclegan",
        family="cyclegan",
        summary="CycleGAN (Zhu et al. 2017): unpaired translation between two image domains A and B",
        target="gensynth.plugins.cyclegan.model:CycleGAN",
        config=CycleGANConfig,
        data="image",
        resolutions=(28, 32, 64, 128, 256),
        channels=(1, 3),
        capabilities=("translate",),
    ))
