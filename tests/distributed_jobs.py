"""Training jobs run under torchrun by tests/test_distributed.py:
``torchrun ... distributed_jobs.py JOBS.json RESULTS``.

Each job trains with ``gensynth.api.train`` (``"api"``: its keyword arguments) or runs the
``gensynth`` command in this process (``"cli"``: its arguments), one after the other in the
same processes. Every process writes ``RESULTS/<name>-rank<r>.json``: the job's error message
(or null) and a digest of its model's state, so the test can compare the processes' copies.
``"sync_check"`` checks :func:`gensynth._training.parallel.synchronize` directly: BatchNorm
statistics set to the rank become their mean, another buffer becomes rank 0's. ``"ada_check"``
feeds ADA different discriminator outputs in each process and reports its r_t and p.

Options a job may add: ``"split_noise"`` (the models' noise as a function of the global example,
see distributed_support.py), ``"kill_after_checkpoint": STEP`` (rank 0 kills itself with SIGKILL
right after that checkpoint is written) and ``"perturb_at": STEP`` (rank 0 alone changes a weight).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from distributed_support import split_noise
from gensynth import GensynthError, Model, api, hookimpl
from gensynth._training.parallel import synchronize
from gensynth._training.runtime import Runtime
from gensynth.plugins.gan.ada import ADA


class KillAfterCheckpoint:
    def __init__(self, step: int) -> None:
        self.step = step

    @hookimpl
    def on_checkpoint_saved(self, run, step, path):
        if step == self.step:
            os.kill(os.getpid(), signal.SIGKILL)


class PerturbAt:
    """Changes one weight of rank 0's copy only (hooks run in rank 0): the processes then differ."""

    def __init__(self, step: int) -> None:
        self.step = step

    @hookimpl
    def on_step_end(self, run, step):
        if step == self.step:
            with torch.no_grad():
                next(run.model.parameters()).add_(1.0)


def digest(model: torch.nn.Module) -> str:
    sha = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        sha.update(name.encode())
        sha.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return sha.hexdigest()


class Normed(Model):
    def __init__(self) -> None:
        super().__init__(None)
        self.norm = torch.nn.BatchNorm1d(2)
        self.register_buffer("counter", torch.zeros(1))


def sync_check() -> dict:
    with Runtime.create("cpu") as runtime:
        model = Normed()
        model.norm.running_mean.fill_(runtime.rank)
        model.counter.fill_(runtime.rank)
        synchronize(model, runtime, step=0)
        return {"running_mean": model.norm.running_mean.tolist(), "counter": model.counter.tolist()}


def ada_check() -> dict:
    """Two adjustment intervals of ADA: rank 0 sees 3 images judged real per step, rank 1 one judged fake."""
    ada = ADA(p=0.5, target=0.6, interval=2, speed_kimg=1.0)
    logits = torch.ones(3, 1) if dist.get_rank() == 0 else -torch.ones(1, 1)
    for _ in range(2):
        ada.observe(logits)
    return {"rt": ada.rt, "p": ada.p}


def run(job: dict) -> dict:
    if job.get("sync_check"):
        return sync_check()
    if job.get("ada_check"):
        return ada_check()
    hooks = []
    if "kill_after_checkpoint" in job:
        hooks.append(KillAfterCheckpoint(job["kill_after_checkpoint"]))
    if "perturb_at" in job:
        hooks.append(PerturbAt(job["perturb_at"]))
    with split_noise() if job.get("split_noise") else contextlib.nullcontext(), \
            contextlib.chdir(job["cwd"]) if "cwd" in job else contextlib.nullcontext():
        try:
            if "cli" in job:
                from gensynth.cli.main import cli

                cli.main(job["cli"], prog_name="gensynth", standalone_mode=False)
                return {"error": None, "digest": None}
            ctx = api.train(hooks=hooks, **job["api"])
        except GensynthError as exc:
            return {"error": str(exc), "digest": None}
    return {"error": None, "digest": digest(ctx.model)}


def main() -> None:
    jobs = json.loads(Path(sys.argv[1]).read_text())
    results = Path(sys.argv[2])
    rank = os.environ.get("RANK", "0")
    # One process group for every job: gensynth uses a group set up by its caller and leaves it to it
    # (a group destroyed and made again in one process under torchrun's store can hang).
    dist.init_process_group("gloo")
    try:
        for job in jobs:
            outcome = run(job)
            (results / f"{job['name']}-rank{rank}.json").write_text(json.dumps(outcome))
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
