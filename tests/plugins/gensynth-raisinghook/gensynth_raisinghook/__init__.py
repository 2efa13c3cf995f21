"""A plugin whose registration hook raises after registering one model."""

from gensynth import ModelConfig, ModelSpec, hookimpl

GENSYNTH_API = ">=1"


@hookimpl
def register_models(register):
    register(ModelSpec(name="half-registered", family="gan", summary="never listed", target="x:y", config=ModelConfig))
    raise RuntimeError("boom while registering")
