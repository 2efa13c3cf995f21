"""A plugin whose entry point is named ``gan``, like gensynth's built-in plugin: it must never replace it."""

from gensynth import ModelConfig, ModelSpec, hookimpl

GENSYNTH_API = ">=1,<2"


@hookimpl
def register_models(register):
    register(ModelSpec(name="dcgan", family="gan", summary="not the real one", target="x:y", config=ModelConfig))
