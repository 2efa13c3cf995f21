"""Helpers for class-conditional models (the ``"conditional"`` capability), shared by every
conditional model: label checks with one-line errors, uniform labels, one preview row per class."""

from __future__ import annotations

from typing import Any, Mapping

import torch

from gensynth._errors import GensynthError
from gensynth._naming import config_value, option
from gensynth._models.images import tiled


def check_data_classes(info: Mapping[str, Any], num_classes: int, setting: str = "data") -> None:
    """For ``Model.bind_data``: the data must have as many classes as the model is configured for.
    ``setting`` names the data's argument in errors (``"data[a]"`` for domain a's: ``--data-a``)."""
    found = info.get("num_classes")
    if isinstance(found, bool) or not isinstance(found, int) or found < 1:
        raise GensynthError(f"the data {info.get('source', '')} records {found!r} classes, not a class count; "
                            f"it has no usable labels for this conditional model")
    if found != num_classes:
        raise GensynthError(f"{option(setting, info.get('source', ''))} has {found} classes but this model is "
                            f"configured for {num_classes}; pass {config_value('num_classes', found)}")


def checked_labels(labels: Any, n: int, num_classes: int, device: torch.device) -> torch.Tensor:
    """``labels`` as ``n`` classes (a LongTensor on ``device``), or a GensynthError naming the problem."""
    labels = torch.as_tensor(labels, device=device).long().reshape(-1)
    if len(labels) != n:
        raise GensynthError(f"got {len(labels)} labels for {n} images; give one label per image")
    low, high = (int(labels.min()), int(labels.max())) if len(labels) else (0, 0)
    if low < 0 or high >= num_classes:
        raise GensynthError(f"labels must lie in 0..{num_classes - 1}, got {low}..{high}")
    return labels


def uniform_labels(n: int, num_classes: int, device: torch.device, generator: torch.Generator | None) -> torch.Tensor:
    """``n`` classes drawn uniformly with ``generator``: the labels of ``sample(n, seed)`` without ``labels``."""
    return torch.randint(num_classes, (n,), device=device, generator=generator)


def class_rows(model: Any, classes: int, per_class: int, seed: int) -> torch.Tensor:
    """One picture (see :func:`gensynth._models.images.tiled`) of ``model.sample``: a row of ``per_class``
    fixed-seed samples for each of the classes ``0 .. classes - 1``."""
    labels = torch.arange(classes, device=model.device).repeat_interleave(per_class)
    return tiled(model.sample(len(labels), seed=seed, labels=labels), per_class)
