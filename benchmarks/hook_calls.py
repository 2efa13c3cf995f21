"""What the Trainer's per-step hook calls cost: ``on_step_end`` (and the epoch test) through pluggy at every step,
with the installed plugins (none of gensynth's own implements a lifecycle hook) and 0 or 1 per-run hook objects.

Prints microseconds per step for each case, against the time of one training step of ``dcgan --recipe classic``
(batch 128, 28 px, measured here over ``--steps`` steps), and their ratio.

    python benchmarks/hook_calls.py [--calls 100000] [--steps 50] [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import torch

from gensynth import api, hookimpl
from gensynth._discovery.registry import get_registry
from gensynth._training.hooks import RunHooks


class CountSteps:
    def __init__(self) -> None:
        self.steps = 0

    @hookimpl
    def on_step_end(self, step: int) -> None:
        self.steps += 1


def per_step_seconds(hooks: RunHooks, calls: int) -> float:
    run = object()
    began = time.perf_counter()
    for step in range(1, calls + 1):
        hooks.call("on_step_end", run=run, step=step)
        if step % 1000 == 0:
            hooks.call("on_epoch_end", run=run, epoch=step // 1000, step=step)
    return (time.perf_counter() - began) / calls


def dcgan_step_seconds(steps: int) -> float:
    spec = api.model_spec("dcgan")
    model = api.build_model(spec, api.make_config(spec, spec.recipe("classic").config), seed=0)
    optimizers, phases = model.configure_optimizers(), model.training_phases()
    batch = {"x": torch.rand(128, 1, 28, 28) * 2 - 1}
    began = None
    for step in range(1, steps + 2):
        if step == 2:
            began = time.perf_counter()  # the first step warms up
        scratch: dict = {}
        for phase in phases:
            if phase.active(step):
                optimizers[phase.optimizer].zero_grad(set_to_none=True)
                loss, _ = phase.loss(batch, scratch)
                loss.backward()
                optimizers[phase.optimizer].step()
    return (time.perf_counter() - began) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    manager = get_registry().manager
    step = dcgan_step_seconds(args.steps)
    print(f"dcgan --recipe classic, batch 128, {args.threads} thread(s): {step * 1e3:.1f} ms per training step")
    for label, objects in (("no hook objects", ()), ("one on_step_end object", (CountSteps(),))):
        cost = per_step_seconds(RunHooks(manager, objects), args.calls)
        print(f"hook calls per step, installed plugins + {label}: {cost * 1e6:.2f} us = {cost / step:.5%} of a step")


if __name__ == "__main__":
    main()
