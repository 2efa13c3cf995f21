"""A plugin the tests copy, install in editable mode and then edit (its models come from gensynth-goodplugin)."""

from gensynth import ModelSpec, hookimpl
from gensynth_goodplugin import TinyConfig

GENSYNTH_API = ">=1,<2"


@hookimpl
def register_models(register):
    register(ModelSpec(name="first", family="gan", summary="a point GAN", data="points",
                       target="gensynth_editme.model:EditableGAN", config=TinyConfig))
