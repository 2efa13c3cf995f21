"""How to train: the options recorded in ``config.json`` under ``"training"`` (torch-free, checked before torch loads).

Each option is declared with :func:`gensynth.field` and its bounds, like a model
config field, and checked in one place (:func:`check_options`), with messages
that name ``--batch-size`` from the command line and ``batch_size`` from Python.

The periodic options share one meaning: ``sample_every``, ``checkpoint_every``
and ``eval_every`` N act every N steps and at the last step, and 0 means at the
last step only (a Ctrl-C also saves a checkpoint).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from gensynth._errors import GensynthError
from gensynth._metadata.config import bound_violation, field, fields_info
from gensynth._metadata.seeds import seed_field
from gensynth._naming import option

GRID_MAX = 10_000
"""The most images in one grid PNG: a training preview (``preview_samples``) and a ``gensynth sample`` grid
(which draws its samples in chunks of this many)."""
PERIODIC = "every N steps and at the last step; 0: at the last step only"


@dataclasses.dataclass
class TrainOptions:
    """How to train; recorded in ``config.json`` under ``"training"``."""

    steps: int = field(dataclasses.MISSING, help="training iterations (the last step)", ge=1)
    batch_size: int = field(64, help="examples per step", ge=1)
    seed: int = seed_field(0, help="seed of the weights, the data order and every random choice")
    log_every: int = field(50, help="log losses every N steps", ge=1)
    sample_every: int = field(500, help=f"write a sample grid {PERIODIC}", ge=0)
    checkpoint_every: int = field(500, help=f"save a checkpoint {PERIODIC}", ge=0)
    keep_checkpoints: int = field(3, help="keep the newest K checkpoints (0: keep every one)", ge=0)
    preview_samples: int = field(0, help="samples in each sample grid (0: 64 images, or 2,500 points for point "
                                         "data)", ge=0, le=GRID_MAX)
    device: str = field("auto", help="auto, cpu, cuda, cuda:N or mps")
    precision: str = field("fp32", help="autocast precision", choices=("fp32", "bf16", "fp16"))
    eval_every: int = field(0, help=f"evaluate eval_metrics {PERIODIC}", ge=0)
    eval_metrics: tuple[str, ...] = field((), help="metrics of the evaluation during training")
    eval_reference: str = field("", help="data the evaluation compares with (default: the training data)")
    eval_samples: int = field(0, help="generated samples per evaluation (0: each metric's default)", ge=0)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every option (they are checked when built; this checks again after a change)."""
        check_options(vars(self))


def check_options(values: Mapping[str, Any]) -> None:
    """A one-line GensynthError for an unknown option or a value of the wrong type or out of bounds."""
    infos = {info.name: info for info in fields_info(TrainOptions)}
    unknown = sorted(set(values) - set(infos))
    if unknown:
        raise GensynthError(f"unknown training option {unknown[0]!r}; the options are {', '.join(infos)}")
    for name, value in values.items():
        info = infos[name]
        kind = {"int": int, "str": str}.get(info.type)
        if kind is not None and (isinstance(value, bool) or not isinstance(value, kind)):
            raise GensynthError(f"{option(name)} must be {'an integer' if kind is int else 'text'}, got {value!r}")
        if info.type.startswith("list") and not (isinstance(value, (list, tuple))
                                                 and all(isinstance(v, str) for v in value)):
            raise GensynthError(f"{option(name)} must be a list of names, got {value!r}")
        problem = bound_violation(info, value)
        if problem:
            raise GensynthError(f"{option(name)} {problem}, got {value!r}")

