"""gensynth: a plugin-based registry of generative image models.

Importing ``gensynth`` is cheap and never imports torch: this module only
exposes what a plugin module needs at registration time (the hook marker,
model metadata and config helpers). Model code lives behind lazy
``module:attr`` targets and is imported on use.
"""

from gensynth.config import ModelConfig, field
from gensynth.errors import GensynthError
from gensynth.hookspecs import hookimpl
from gensynth.recipes import Recipe
from gensynth.specs import DatasetSpec, EvaluatorSpec, ExtractorSpec, LossSpec, ModelSpec
from gensynth.version import PLUGIN_API_VERSION, __version__

__all__ = [
    "__version__",
    "PLUGIN_API_VERSION",
    "hookimpl",
    "ModelConfig",
    "field",
    "ModelSpec",
    "Recipe",
    "LossSpec",
    "EvaluatorSpec",
    "ExtractorSpec",
    "DatasetSpec",
    "GensynthError",
]
