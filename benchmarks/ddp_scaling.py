"""Data-parallel scaling: training throughput of N processes (torchrun) over 1 process.

Weak scaling, as users launch it: 1 process trains at ``--batch-size`` examples per step, N processes
at ``N * --batch-size`` (the same share per process), each through ``torchrun --standalone`` and the
Trainer (``gensynth.api.train``). Throughput is examples per second between the end of step
``--warmup`` and the last step (start-up, data loading and the first steps excluded), measured in
rank 0 at logging steps, where the losses are read (a device synchronisation). The two sides
alternate, ``--repeats`` runs each; the ratio of the medians is printed.

Target (issue 11): at least 1.85x for 2 GPUs on DCGAN at 64 px (``--device cuda``, the defaults).
On CPU (``--device cpu``) it is a smoke check of the machinery; there the processes share the
machine's cores (``--threads`` each), which caps the ratio at cores / threads.

    python benchmarks/ddp_scaling.py [--nproc 2] [--device cuda] [--model dcgan] [--image-size 64]
        [--batch-size 64] [--steps 300] [--warmup 50] [--repeats 3] [--threads 1] [--set key=value ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gensynth import hookimpl  # torch-free


class Stopwatch:
    """Times the steps between ``warmup`` and ``steps``, both logging steps (lifecycle hooks run in rank 0)."""

    def __init__(self, warmup: int, steps: int, result: Path) -> None:
        self.warmup, self.steps, self.result, self.began = warmup, steps, result, 0.0

    @hookimpl
    def on_log(self, run, step):  # at logging steps, after the losses were read (a device synchronisation)
        if step == self.warmup:
            self.began = time.perf_counter()
        elif step == self.steps:
            self.result.write_text(json.dumps({"seconds": time.perf_counter() - self.began}))


def worker(args: argparse.Namespace) -> None:
    """One process of a measured run (started by torchrun)."""
    import torch

    from gensynth import api
    from gensynth._metadata.config import parse_assignments

    torch.set_num_threads(args.threads)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    config = {"image_size": args.image_size, **parse_assignments(args.set)} if args.image_size else parse_assignments(args.set)
    api.train(args.model, args.data, Path(args.out), steps=args.steps, batch_size=args.batch_size * world,
              config=config, device=args.device, seed=0, log_every=args.warmup, sample_every=10 ** 9,
              checkpoint_every=10 ** 9, hooks=[Stopwatch(args.warmup, args.steps, Path(args.result))])


def measure(args: argparse.Namespace, nproc: int, folder: Path, index: int) -> float:
    """Examples per second of one run with ``nproc`` processes."""
    result = folder / f"result-{nproc}-{index}.json"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(nproc),
               __file__, "--worker", "--out", str(folder / f"run-{nproc}-{index}"), "--result", str(result),
               *sys.argv[1:]]
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    seconds = json.loads(result.read_text())["seconds"]
    return (args.steps - args.warmup) * args.batch_size * nproc / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nproc", type=int, default=2, help="processes of the parallel side")
    parser.add_argument("--device", default="cuda", help="cuda (one GPU per process) or cpu")
    parser.add_argument("--model", default="dcgan")
    parser.add_argument("--data", default="digits")
    parser.add_argument("--image-size", type=int, default=64, help="the model's image_size (0: the model's default)")
    parser.add_argument("--batch-size", type=int, default=64, help="examples per process and step")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=50, help="steps left out of the timing (--steps a multiple)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side, alternating")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a model config field")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.steps % args.warmup or args.steps <= args.warmup:
        parser.error("--steps must be a multiple of --warmup and larger")
    if args.worker:
        worker(args)
        return

    folder = Path(tempfile.mkdtemp(prefix="ddp-scaling-"))
    rates: dict[int, list[float]] = {1: [], args.nproc: []}
    for index in range(args.repeats):
        for nproc in (1, args.nproc):
            rates[nproc].append(measure(args, nproc, folder, index))
            print(f"run {index + 1}: {nproc} process(es): {rates[nproc][-1]:.1f} examples/s", flush=True)
    one, many = statistics.median(rates[1]), statistics.median(rates[args.nproc])
    print(f"{args.model} {args.image_size or 'default'} px, {args.batch_size} examples per process and step, "
          f"{args.device}, {args.threads} thread(s) per process, median of {args.repeats} runs each:")
    print(f"  1 process:  {one:.1f} examples/s")
    print(f"  {args.nproc} processes: {many:.1f} examples/s")
    print(f"  ratio {args.nproc} / 1 = {many / one:.2f}x (ideal {args.nproc}x)")


if __name__ == "__main__":
    main()
