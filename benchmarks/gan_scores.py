"""What the GAN benchmarks share: training through ``api.train`` (for a number of steps or seconds) and the
MNIST scores: FID and KID in the domain classifier's features, and the per-label accuracy of conditional samples."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any, Mapping

import torch

from gensynth import DataRequest, api, hookimpl
from gensynth._discovery.registry import get_registry
from gensynth._errors import TrainingInterrupted
from gensynth._evaluation.session import Evaluation
from gensynth._training.rundir import RunDir, load_weights


class TimeLimit:
    """A lifecycle hook that stops training after ``seconds`` of this process's CPU time (with one torch
    thread, the wall time of a quiet machine; on a shared one, the same compute whatever the load): it
    raises SIGINT, which the Trainer answers as it answers Ctrl-C (finish the iteration, save, stop)."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.began = seconds, time.process_time()

    @hookimpl
    def on_run_start(self, run):
        self.began = time.process_time()  # data loaded and model built: the training proper starts

    @hookimpl
    def on_step_end(self, run, step):
        if time.process_time() - self.began >= self.seconds:
            signal.raise_signal(signal.SIGINT)


def train(model: str, data: str, out: Path, *, steps: int, cpu_seconds: float | None = None, seed: int = 0,
          config: Mapping[str, Any] = (), recipe: str | None = None,
          options: Mapping[str, Any] = ()) -> tuple[float, float, int]:
    """Train ``model`` on ``data`` into ``out`` for ``steps`` steps, or until ``cpu_seconds`` of CPU time have
    passed (then ``steps`` is only a ceiling, and the logging interval is 10 steps);
    ``options`` are more ``TrainOptions`` fields; ``(wall seconds, CPU seconds, steps done)``."""
    hooks = [TimeLimit(cpu_seconds)] if cpu_seconds else []
    limit = {"log_every": 10, "sample_every": 10 ** 9, "checkpoint_every": 10 ** 9} if cpu_seconds else {}
    options = {**limit, **dict(options)}
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        api.train(model, data, out, steps=steps, recipe=recipe, config=dict(config), seed=seed, device="cpu",
                  hooks=hooks, **options)
    except TrainingInterrupted:
        pass  # the time limit: the checkpoint of the last step is saved
    return time.perf_counter() - wall, time.process_time() - cpu, RunDir(out).latest_checkpoint()[0]


def mnist_evaluation(held_out: str, train_data: str, *, seed: int = 0, samples: int = 2000) -> Evaluation:
    """FID and KID from ``samples`` generated images against ``held_out``, in the features of the domain
    classifier trained on ``train_data`` (cached after its first training)."""
    return Evaluation(["fid", "kid"], held_out, DataRequest(image_size=28, channels=1), get_registry(),
                      device=torch.device("cpu"), num_samples=samples, seed=seed, extractor="classifier",
                      classifier_data=train_data)


def fid_kid(evaluation: Evaluation, run_dir: Path) -> tuple[float, float]:
    """FID and KID of the run's latest weights (its generator average, when it keeps one)."""
    spec = api.model_spec(RunDir(run_dir).read_config()["model"]["id"])
    scores = {r.metric.split(":")[-1]: r.values for r in evaluation.run(api.load_run(run_dir), spec)}
    return scores["fid"]["fid"], scores["kid"]["kid"]


def checkpoint_fids(evaluation: Evaluation, run_dir: Path) -> dict[int, float]:
    """FID of every checkpoint the run kept (generator average), by step."""
    spec = api.model_spec(RunDir(run_dir).read_config()["model"]["id"])
    model, fids = api.load_run(run_dir), {}
    for step, folder in RunDir(run_dir).checkpoints():
        model.load_state_dict(load_weights(folder / "model.safetensors"))
        fids[step] = next(r.values["fid"] for r in evaluation.run(model, spec) if r.metric.endswith("fid"))
    return fids


def per_label_accuracy(evaluation: Evaluation, model, per_label: int, seed: int) -> list[float]:
    """For each label, the share of ``per_label`` samples of it that the domain classifier labels so."""
    classifier = evaluation.extractor.instance
    accuracies = []
    for label in range(model.num_classes):
        labels = torch.full((per_label,), label)
        with torch.no_grad():
            predicted = classifier.extract(model.sample(per_label, seed=seed + label, labels=labels)).logits.argmax(1)
        accuracies.append(float((predicted == label).double().mean()))
    return accuracies
