"""The Model interface the Trainer drives without knowing the model family.

A model is an ``nn.Module`` built from its config (a :class:`~gensynth._metadata.config.ModelConfig`
whose fields are its constructor arguments). It names its optimizers and the
phases of one training iteration; the Trainer zeroes gradients, runs each
phase's loss under the run's precision, calls ``backward`` and steps the
phase's optimizer. A GAN has two phases (discriminator, generator), a
CycleGAN may have more; the Trainer does not care.

The batch each phase receives is ``{"x": images or points, "y": labels}``
(``"y"`` only when the data has labels). A model that learns between several
data domains asks for them by name in :meth:`Model.data_request` and receives
``{domain: {"x": ..., "y": ...}}``, e.g. ``{"a": {"x": ...}, "b": {"x": ...}}``
(see :mod:`gensynth._data.domains`).
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from typing import Any, Callable, Mapping

import torch
from torch import nn

from gensynth._errors import GensynthError
from gensynth._metadata.config import ModelConfig
from gensynth._metadata.request import DataRequest
from gensynth._naming import option
from gensynth._metadata.seeds import GENERATOR_SEEDS, check_seed

#: ``{"x": ..., "y": ...}``, or ``{domain: {"x": ..., "y": ...}}`` for a model that asks for domains.
Batch = Mapping[str, Any]
#: ``loss(batch, scratch) -> (loss, logs)``; ``scratch`` is a dict shared by the phases
#: of one iteration (for example to reuse generated images); ``logs`` are detached scalars.
LossFn = Callable[[Batch, dict], "tuple[torch.Tensor, dict[str, torch.Tensor]]"]


def stage_boundary(fraction: float, total_steps: int) -> int:
    """The last step of the first ``fraction`` of a run of ``total_steps`` steps (0 for fraction 0)."""
    return round(fraction * total_steps)


@dataclasses.dataclass
class Phase:
    """One optimisation step of a training iteration.

    At each step (1-based) the Trainer runs the model's phases in list order;
    a phase is active where ``(step - offset) % every == 0`` (``every=1``: every
    step; ``every=4``: steps 4, 8, ...; ``every=4, offset=1``: steps 1, 5, 9, ...),
    for lazy regularisation or several critic steps per generator step. An active
    phase zeroes the gradients of optimizer ``optimizer`` (a key of
    :meth:`Model.configure_optimizers`), computes ``loss(batch, scratch)`` under
    the run's precision, back-propagates, steps the optimizer and calls
    :meth:`Model.after_optimizer_step` with ``name``. Its loss is logged as
    ``loss/<name>``.

    ``start``/``stop`` limit a phase to a part of the run, for a model trained in
    stages (an autoencoder, then a prior over its codes) without the Trainer
    knowing: they are fractions of the run's ``--steps`` T, and the phase runs
    only on the steps ``s`` with ``round(start * T) < s <= round(stop * T)``.
    Phases whose ranges meet (one's ``stop`` is the other's ``start``) split the
    steps exactly. Like every schedule over ``--steps``, a resumed run with a
    larger ``--steps`` moves the boundaries.
    """

    name: str
    optimizer: str
    loss: LossFn
    every: int = 1
    offset: int = 0
    start: float = 0.0
    stop: float = 1.0

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError(f"phase {self.name!r}: every must be at least 1, got {self.every}")
        if not 0 <= self.start < self.stop <= 1:
            raise ValueError(f"phase {self.name!r}: need 0 <= start < stop <= 1, got start={self.start}, stop={self.stop}")

    def active(self, step: int, total_steps: int) -> bool:
        """Whether the phase runs at ``step`` (1-based) of a run of ``total_steps`` steps."""
        if not stage_boundary(self.start, total_steps) < step <= stage_boundary(self.stop, total_steps):
            return False
        return (step - self.offset) % self.every == 0


class Model(nn.Module):
    """Base class of every gensynth model.

    Subclasses implement :meth:`configure_optimizers`, :meth:`training_phases`
    and :meth:`sample`; the rest has sensible defaults.
    """

    config: ModelConfig

    #: Public attributes of Model and nn.Module that an instance must not hide (filled in below).
    _reserved: frozenset[str] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every model's ``sample`` checks its arguments first (a count of at least 1, a seed in range),
        so no model sees a negative count or an out-of-range seed, and each says so in one line."""
        super().__init_subclass__(**kwargs)
        if "sample" in cls.__dict__:
            cls.sample = _checked_sample(cls.__dict__["sample"])  # type: ignore[method-assign]

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config

    # -- names ------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        self._check_name(name)
        super().__setattr__(name, value)

    def add_module(self, name: str, module: nn.Module | None) -> None:
        self._check_name(name)
        super().add_module(name, module)

    def register_buffer(self, name: str, tensor: torch.Tensor | None, persistent: bool = True) -> None:
        self._check_name(name)
        super().register_buffer(name, tensor, persistent)

    def register_parameter(self, name: str, param: nn.Parameter | None) -> None:
        self._check_name(name)
        super().register_parameter(name, param)

    def _check_name(self, name: str) -> None:
        """A one-line error when an attribute, submodule, parameter or buffer would hide a Model/nn.Module one."""
        if name not in Model._reserved:
            return
        owner = "gensynth.Model" if name in vars(Model) else "torch.nn.Module"
        raise GensynthError(f"{type(self).__module__}.{type(self).__qualname__} sets self.{name}, which would hide "
                            f"{owner}.{name}: rename the attribute (for example to {name}_net or my_{name})")

    # -- data -----------------------------------------------------------------

    def data_request(self) -> DataRequest | dict[str, DataRequest]:
        """What the data must look like: kind, resolution, channels, labels.

        A model that learns between data domains returns one request per domain,
        ``{"a": DataRequest(...), "b": DataRequest(...)}``; it is then trained on
        ``--data-a SPEC --data-b SPEC`` (or a source that holds both domains).
        """
        c = self.config
        return DataRequest(
            kind="image",
            image_size=getattr(c, "image_size", None),
            channels=getattr(c, "channels", None),
            labels=bool(getattr(c, "num_classes", 0)),
        )

    def bind_data(self, info: Mapping[str, Any]) -> None:
        """Called once before training with facts about the data (e.g. ``num_classes``);
        ``{domain: facts}`` when the model asked for domains."""

    # -- training -------------------------------------------------------------

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        raise NotImplementedError

    def configure_schedulers(
        self, optimizers: Mapping[str, torch.optim.Optimizer], total_steps: int
    ) -> dict[str, torch.optim.lr_scheduler.LRScheduler]:
        """Learning-rate schedulers by optimizer name, stepped once per iteration."""
        return {}

    def training_phases(self) -> list[Phase]:
        raise NotImplementedError

    def after_optimizer_step(self, phase: str, step: int) -> None:
        """Called right after the optimizer of phase ``phase`` stepped at ``step`` (1-based), under
        ``torch.no_grad()``: the place for per-update actions on the weights, such as clipping a
        WGAN critic's weights or projecting onto a constraint set. Runs for every active phase,
        before the next phase's loss; with fp16 it runs even when the grad scaler skipped the step.
        """

    def end_iteration(self, step: int) -> None:
        """Called after every iteration (``step`` is 1-based), once every active phase stepped its
        optimizer and the schedulers stepped: EMA updates, image pools, ..."""

    def training_state(self) -> dict[str, Any]:
        """Extra state needed for exact resume (tensors and JSON values), beyond ``state_dict``.

        Per process: under data-parallel training every process's is saved, and each gets its own back.
        """
        return {}

    def load_training_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`training_state` returned."""

    def sync_statistics(self, average: Callable[[torch.Tensor], torch.Tensor]) -> None:
        """Data-parallel training: average the statistics this model keeps of its data over the processes.

        Called in every process (never with one process) before rank 0 previews, evaluates or saves
        the model, with ``average(tensor)``, which replaces a tensor by its mean over the processes in
        place. Each process trains on its share of the batch, so such statistics drift apart between
        these points. The default averages the running mean and variance of every normalisation layer
        that keeps them (BatchNorm, and InstanceNorm with ``track_running_stats``). Afterwards every
        buffer is set to rank 0's, so override this only for statistics to be averaged rather than
        taken from rank 0 (for example a codebook's moving averages).
        """
        for module in self.modules():
            mean, var = getattr(module, "running_mean", None), getattr(module, "running_var", None)
            if isinstance(mean, torch.Tensor) and isinstance(var, torch.Tensor):
                average(mean)
                average(var)

    # -- generation -----------------------------------------------------------

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None, **kwargs: Any) -> torch.Tensor:
        """``n`` samples: images in [-1, 1] shaped (n, C, H, W), or points (n, D).

        The same ``seed`` gives the same samples; the global RNG is left untouched.
        """
        raise NotImplementedError

    def previews(self, batch: Batch, n: int, seed: int) -> dict[str, torch.Tensor]:
        """Pictures written during training, by name: images (N, C, H, W) in [-1, 1] or points (N, D).

        ``batch`` is a fixed batch of real data (the same at every call) for models that
        show reconstructions or translations; the default shows ``n`` fixed-seed samples.
        Must not change the model's state.
        """
        return {"samples": self.sample(n, seed=seed)}

    # -- helpers --------------------------------------------------------------

    def seeded_generator(self, seed: int | None) -> torch.Generator | None:
        """A ``torch.Generator`` on this model's device seeded with ``seed``, or None."""
        if seed is None:
            return None
        device = next(self.parameters()).device
        return torch.Generator(device=device).manual_seed(int(seed))

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device


def _checked_sample(method: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    @functools.wraps(method)
    def sample(self: Model, n: int, *args: Any, **kwargs: Any) -> torch.Tensor:
        count = _integer(n)
        if count is None or count < 1:
            raise GensynthError(f"{option('n')} must be an integer of at least 1, got {n!r}")
        seed = args[0] if args else kwargs.get("seed")
        if seed is not None:
            check_seed(seed, most=GENERATOR_SEEDS)
        return method(self, n, *args, **kwargs)

    return sample


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


Model._reserved = frozenset(name for name in dir(Model) if not name.startswith("_")) - {"config"}
