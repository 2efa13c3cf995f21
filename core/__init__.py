"""gensynth: a plugin-based registry of generative image models.

This module is the whole public surface (plugin API 1): everything a plugin
or a user script may import is importable from ``gensynth`` itself, and
``GENSYNTH_API`` versions exactly these names (docs/plugin-api.md documents
each). Modules and packages whose names start with ``_`` are private.

Importing ``gensynth`` is cheap and never imports torch: the metadata names
(specs, configs, recipes, ``hookimpl``) are plain Python; the names that need
torch (``Model``, ``Phase``, the data containers, the evaluation interfaces,
the conformance kit) are loaded on first access, so a plugin module that only
registers metadata keeps listing instant.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gensynth._discovery.hookspecs import hookimpl
from gensynth._errors import GensynthError
from gensynth._metadata.capabilities import CONDITIONAL, LATENT, RECONSTRUCT, TRANSLATE, TRUNCATION, check_truncation
from gensynth._metadata.config import ModelConfig, field
from gensynth._metadata.recipes import Recipe
from gensynth._metadata.seeds import MAX_SEED, seed_field
from gensynth._metadata.request import DataRequest
from gensynth._metadata.specs import AugmentationSpec, DatasetSpec, EvaluatorSpec, ExtractorSpec, LossSpec, ModelSpec
from gensynth._version import PLUGIN_API_VERSION, __version__

#: Torch-side public names: name -> the private module that defines it (imported on first access).
_LAZY = {
    # models and losses
    "Model": "gensynth._models.model",
    "Phase": "gensynth._models.model",
    "Batch": "gensynth._models.model",
    "LossFn": "gensynth._models.model",
    "Loss": "gensynth._models.loss",
    "GANLoss": "gensynth._models.loss",
    "build_loss": "gensynth._models.loss",
    "Augmentation": "gensynth._models.augmentation",
    "build_augmentation": "gensynth._models.augmentation",
    "linear_decay": "gensynth._training.schedules",
    "linear_decay_schedulers": "gensynth._training.schedules",
    "check_data_classes": "gensynth._models.conditioning",
    "checked_labels": "gensynth._models.conditioning",
    "uniform_labels": "gensynth._models.conditioning",
    "class_rows": "gensynth._models.conditioning",
    "side_by_side": "gensynth._models.images",
    "contact_sheet": "gensynth._models.sheets",
    # data
    "TensorData": "gensynth._data.dataset",
    "StreamingImages": "gensynth._data.dataset",
    "images_from_files": "gensynth._data.dataset",
    "collect": "gensynth._data.dataset",
    "BatchStream": "gensynth._data.loader",
    "ordered_batches": "gensynth._data.loader",
    "prepare_images": "gensynth._data.images",
    "pil_to_uint8": "gensynth._data.images",
    "native_format": "gensynth._data.images",
    "open_image": "gensynth._data.images",
    "list_images": "gensynth._data.files",
    "existing_folder": "gensynth._data.files",
    "load_data": "gensynth._data.spec",
    # evaluation
    "Evaluator": "gensynth._evaluation.interfaces",
    "FeatureExtractor": "gensynth._evaluation.interfaces",
    "Features": "gensynth._evaluation.interfaces",
    "ExtractorSetup": "gensynth._evaluation.interfaces",
    "EvaluationContext": "gensynth._evaluation.context",
    "Reference": "gensynth._evaluation.context",
    "Extractor": "gensynth._evaluation.context",
    "quantize": "gensynth._evaluation.context",
    "gaussian_stats": "gensynth._evaluation.statistics",
    "perplexity": "gensynth._evaluation.statistics",
    "CachedTensors": "gensynth._evaluation.cache",
    "cache_dir": "gensynth._evaluation.cache",
    "file_sha256": "gensynth._evaluation.cache",
    "tensors_sha256": "gensynth._evaluation.cache",
    "domain_classifier": "gensynth._evaluation.domain_classifier",
    # the conformance kit
    "check_model": "gensynth.testing",
    "model_checks": "gensynth.testing",
}

__all__ = [
    "__version__", "PLUGIN_API_VERSION", "GensynthError", "hookimpl",
    "ModelSpec", "LossSpec", "AugmentationSpec", "EvaluatorSpec", "ExtractorSpec", "DatasetSpec",
    "ModelConfig", "field", "seed_field", "MAX_SEED", "Recipe", "DataRequest",
    "CONDITIONAL", "LATENT", "RECONSTRUCT", "TRANSLATE", "TRUNCATION", "check_truncation",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gensynth' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names above load lazily
    from gensynth._data.dataset import StreamingImages, TensorData, collect, images_from_files
    from gensynth._data.files import existing_folder, list_images
    from gensynth._data.images import native_format, open_image, pil_to_uint8, prepare_images
    from gensynth._data.loader import BatchStream, ordered_batches
    from gensynth._data.spec import load_data
    from gensynth._evaluation.cache import CachedTensors, cache_dir, file_sha256, tensors_sha256
    from gensynth._evaluation.context import EvaluationContext, Extractor, Reference, quantize
    from gensynth._evaluation.domain_classifier import domain_classifier
    from gensynth._evaluation.interfaces import Evaluator, ExtractorSetup, FeatureExtractor, Features
    from gensynth._evaluation.statistics import gaussian_stats, perplexity
    from gensynth._models.augmentation import Augmentation, build_augmentation
    from gensynth._models.conditioning import check_data_classes, checked_labels, class_rows, uniform_labels
    from gensynth._models.images import side_by_side
    from gensynth._models.sheets import contact_sheet
    from gensynth._models.loss import GANLoss, Loss, build_loss
    from gensynth._models.model import Batch, LossFn, Model, Phase
    from gensynth._training.schedules import linear_decay, linear_decay_schedulers
    from gensynth.testing import check_model, model_checks
