"""A trained run as the commands that use it see it: its model, its metadata and capability checks."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch

from gensynth import api
from gensynth._metadata.capabilities import CONDITIONAL, check_label, require
from gensynth._models.model import Model
from gensynth._discovery.registry import Registry, get_registry
from gensynth._training.rundir import RunDir
from gensynth._metadata.specs import ModelSpec


@dataclasses.dataclass
class TrainedRun:
    spec: ModelSpec
    model: Model
    registry: Registry
    #: The run's ``config.json``.
    record: dict[str, Any]

    def has(self, capability: str) -> bool:
        return capability in self.spec.capabilities

    def require(self, capability: str, wanted: str) -> None:
        """A one-line error when ``wanted`` (e.g. ``"--label"``) needs a capability this model lacks."""
        require(self.spec, capability, wanted, self.registry.list_models())

    def class_labels(self, label: int, count: int) -> torch.Tensor:
        """``count`` copies of ``label``, after checking that the model is conditional and knows that class."""
        self.require(CONDITIONAL, "--label")
        check_label(label, self.model.num_classes)
        return torch.full((count,), label, dtype=torch.int64)


def open_run(run_dir: str | Path, device: torch.device, record: dict[str, Any] | None = None) -> TrainedRun:
    """The model saved in ``run_dir`` on ``device``, in eval mode, with its registered metadata; ``record`` is the
    run's ``config.json`` where the command has read it already (``RunDir.read_config()``)."""
    registry = get_registry()
    record = RunDir(run_dir).read_config() if record is None else record
    spec = api.model_spec(record["model"]["id"], registry)
    return TrainedRun(spec, api.load_run(run_dir, device, registry, record=record), registry, record)
