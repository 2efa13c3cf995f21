"""The model under test: its spec, its small config, its data, and runs trained through the public API.

Everything expensive (loading the data, the one-step training run) is computed
once per subject and shared by the checks that need it (the runner keeps one subject
per model, config and data for the whole process). Runs are written to a temporary
folder that is removed when the process ends.
"""

from __future__ import annotations

import functools
import signal
import tempfile
from pathlib import Path
from typing import Any, Mapping

import torch

from gensynth import api, hookimpl
from gensynth._metadata.capabilities import RECONSTRUCT, TRANSLATE
from gensynth._metadata.config import ModelConfig
from gensynth._data.domains import DataSpecs, ModelData, data_info, load_model_data, open_batches
from gensynth._metadata.request import DataRequest
from gensynth._models.model import Model
from gensynth._discovery.registry import Registry, get_registry
from gensynth._metadata.specs import ModelSpec
from gensynth._training.trainer import RunContext

#: The data a model is checked on when none is given: small, bundled, no download.
DEFAULT_DATA = {"image": "digits", "points": "ring8"}
#: ... and for a model that learns from aligned pairs (``DataRequest.paired``): digits' edge maps -> digits.
DEFAULT_PAIRED = "edges:digits"
BATCH_SIZE = 8
SAMPLES = 4


class StepProbe:
    """Lifecycle hooks that record what one training run did: its logged metrics, gradients and model."""

    def __init__(self) -> None:
        self.metrics: dict[str, float] = {}
        self.without_grad: list[str] = []
        self.non_finite_grad: list[str] = []
        self.model: Model | None = None

    @hookimpl
    def on_log(self, step: int, metrics: dict[str, float]) -> None:
        if step == 1:
            self.metrics = dict(metrics)

    @hookimpl
    def on_step_end(self, run: RunContext, step: int) -> None:
        if step != 1:
            return
        for name, param in run.model.named_parameters():
            if not param.requires_grad:
                continue
            if param.grad is None:
                self.without_grad.append(name)
            elif not torch.isfinite(param.grad).all():
                self.non_finite_grad.append(name)

    @hookimpl
    def on_run_end(self, run: RunContext, status: str) -> None:
        self.model = run.model


class InterruptAt:
    """A lifecycle hook that presses Ctrl-C at ``step``: the Trainer saves a checkpoint there and stops."""

    def __init__(self, step: int) -> None:
        self.step = step

    @hookimpl
    def on_step_end(self, step: int) -> None:
        if step == self.step:
            signal.raise_signal(signal.SIGINT)


class Subject:
    """One model, configured with its ``test_config`` plus ``config`` overrides, checked on ``data``."""

    def __init__(self, model_id: str, config: Mapping[str, Any] | None = None, data: DataSpecs | None = None) -> None:
        self.registry: Registry = get_registry()
        self.spec: ModelSpec = self.registry.resolve("models", model_id)
        self.values = {**self.spec.test_config, **(config or {})}
        self._data_specs = data
        self._workdir = tempfile.TemporaryDirectory(prefix="gensynth-check-")
        self.root = Path(self._workdir.name)

    @property
    def id(self) -> str:
        return self.spec.id

    def config(self) -> ModelConfig:
        return api.make_config(self.spec, self.values)

    def build(self, config: ModelConfig | None = None, bind: bool = True) -> Model:
        """A fresh model (seeded) from ``config`` (default: the test config), told about the data as training would."""
        model = api.build_model(self.spec, config or self.config(), seed=0)
        if bind:
            model.bind_data(self.info)
        return model

    # -- data -------------------------------------------------------------------

    @functools.cached_property
    def request(self) -> DataRequest | dict[str, DataRequest]:
        return self.build(bind=False).data_request()

    @property
    def domains(self) -> list[str] | None:
        return list(self.request) if isinstance(self.request, Mapping) else None

    @functools.cached_property
    def data_specs(self) -> DataSpecs:
        if self._data_specs is not None:
            return self._data_specs
        if isinstance(self.request, Mapping):
            if any(wanted.paired for wanted in self.request.values()):
                return DEFAULT_PAIRED
            return {name: DEFAULT_DATA[wanted.kind] for name, wanted in self.request.items()}
        return DEFAULT_DATA[self.request.kind]

    @functools.cached_property
    def data(self) -> ModelData:
        return load_model_data(self.data_specs, self.request, self.registry)

    @functools.cached_property
    def info(self) -> dict[str, Any]:
        return data_info(self.data)

    def batch(self) -> dict[str, Any]:
        """The first batch of :data:`SAMPLES` items, always the same: ``{"x": ...}`` or ``{domain: {"x": ...}}``."""
        return next(open_batches(self.data, SAMPLES, seed=0))

    # -- training -----------------------------------------------------------------

    def train(self, name: str, steps: int, *, resume: bool = False, hooks: tuple[object, ...] = ()) -> Path:
        """Train into ``<tmp>/name`` on CPU through :func:`gensynth.api.train`; returns the run folder."""
        out = self.root / name
        api.train(self.spec.id, self.data_specs, out, steps=steps, config=self.values, resume=resume, hooks=hooks,
                  batch_size=BATCH_SIZE, seed=0, device="cpu", log_every=1, sample_every=steps, checkpoint_every=2,
                  preview_samples=SAMPLES)
        return out

    @functools.cached_property
    def one_step(self) -> tuple[Path, StepProbe]:
        """A run of one training iteration and what its probe saw."""
        probe = StepProbe()
        return self.train("one-step", 1, hooks=(probe,)), probe

    def outputs(self, model: Model) -> dict[str, torch.Tensor]:
        """What the model produces, by capability: samples, translations both ways, reconstructions.

        Each call starts from the same global RNG state, so a model that draws
        random numbers (a VAE's posterior sample) gives comparable outputs.
        """
        capabilities = self.spec.capabilities
        calls = {}
        if TRANSLATE in capabilities:
            batch = self.batch()
            for direction in model.directions:
                source = direction.partition("2")[0]
                calls[f"translate {direction}"] = functools.partial(model.translate, batch[source]["x"], direction)
        else:
            calls["sample"] = functools.partial(model.sample, SAMPLES, seed=0)
        if RECONSTRUCT in capabilities:
            calls["reconstruct"] = functools.partial(model.reconstruct, self.batch()["x"])
        model.eval()
        out = {}
        for name, call in calls.items():
            with torch.random.fork_rng(devices=[]), torch.no_grad():
                torch.manual_seed(0)
                out[name] = call()
        return out
