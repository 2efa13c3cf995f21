"""A plugin that needs a plugin API this gensynth does not offer."""

from gensynth import ModelConfig, ModelSpec, hookimpl

GENSYNTH_API = ">=2,<3"


@hookimpl
def register_models(register):
    register(ModelSpec(name="future-gan", family="gan", summary="needs API 2", target="x:y", config=ModelConfig))
