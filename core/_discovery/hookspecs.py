"""Every gensynth hook, documented where it is declared.

Plugins implement hooks with ``@gensynth.hookimpl``. Registration hooks get a
``register`` callback, so the core decides naming (``plugin:name``), duplicates
and errors; a plugin never writes into a registry directly. Lifecycle hooks
are called by the Trainer; each implementation runs inside its own error
handling, so a failing hook is reported and does not stop training (unless
``GENSYNTH_STRICT=1``).

Registration hooks run while listing, so the module that implements them must
not import torch or model code at top level: declare metadata and a lazy
``module:attr`` target instead.
"""

from __future__ import annotations

from typing import Any, Callable

import pluggy

PROJECT = "gensynth"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- registration ---------------------------------------------------------


@hookspec
def register_models(register: Callable[..., None]) -> None:
    """Declare generative models.

    Call ``register(ModelSpec(name=..., family=..., summary=..., target="pkg.module:Class",
    config=MyConfig, ...))`` once per model. The model's id becomes ``<plugin>:<name>``,
    where ``<plugin>`` is the entry-point name. ``target`` is imported only when the
    model is built.
    """


@hookspec
def register_losses(register: Callable[..., None]) -> None:
    """Declare losses with ``register(LossSpec(name=..., family="gan", summary=..., target=...))``."""


@hookspec
def register_evaluators(register: Callable[..., None]) -> None:
    """Declare metrics with ``register(EvaluatorSpec(name=..., summary=..., target=...))``."""


@hookspec
def register_extractors(register: Callable[..., None]) -> None:
    """Declare feature extractors for ``gensynth evaluate --extractor NAME`` with
    ``register(ExtractorSpec(name=..., summary=..., target=...))``.

    The target is a callable ``(setup: ExtractorSetup) -> FeatureExtractor``
    (see :mod:`gensynth._evaluation.interfaces`).
    """


@hookspec
def register_datasets(register: Callable[..., None]) -> None:
    """Declare data sources for ``--data`` with ``register(DatasetSpec(name=..., argument="PATH", ...))``.

    The target is a callable ``(argument: str, request: DataRequest, *, download: bool = False)``
    returning :class:`gensynth._data.dataset.TensorData` (in memory) or
    :class:`gensynth._data.dataset.StreamingImages` (decoded on demand).
    """


# -- training lifecycle ---------------------------------------------------


@hookspec
def on_run_start(run: Any) -> None:
    """Training is about to start or resume. ``run`` is a :class:`gensynth._training.trainer.RunContext`
    (``run.dir``, ``run.model``, ``run.model_id``, ``run.step``, ``run.total_steps``, ``run.logger``)."""


@hookspec
def on_step_end(run: Any, step: int, metrics: dict[str, float]) -> None:
    """One training iteration finished; ``metrics`` are its logged scalars (``step`` is 1-based)."""


@hookspec
def on_checkpoint_saved(run: Any, step: int, path: Any) -> None:
    """A checkpoint for ``step`` was written atomically to folder ``path``."""


@hookspec
def on_evaluation_done(run: Any, step: int, results: dict[str, float]) -> None:
    """An evaluation during training produced ``results`` (metric name -> value)."""


@hookspec
def on_run_end(run: Any, status: str) -> None:
    """Training ended with ``status``: ``"completed"``, ``"interrupted"`` or ``"failed"``."""


REGISTRATION_HOOKS = ("register_models", "register_losses", "register_evaluators", "register_extractors", "register_datasets")
