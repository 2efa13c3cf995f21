"""Mode coverage of ``mlp-gan`` on ring8 and grid25, over several seeds.

Each run trains ``gan:mlp-gan`` with a recipe (default: the model's default
recipe, with its batch size) and optional ``--set`` values for ``--steps``
iterations on the CPU and is evaluated at its
last step through the Trainer's evaluation (``eval_every``), with the VEEGAN /
PacGAN protocol: 2,500 generated points, high quality within 3 standard
deviations of the nearest mode, a mode captured when it is the nearest mode of
a high-quality point. Prints the mean and standard error over seeds beside the
published rows of PacGAN (Lin et al. 2018), Table 1, and the CPU time per run.

    python benchmarks/mode_coverage.py [--recipe NAME] [--set KEY=VALUE ...] [--seeds 10] [--steps 24000]
                                      [--threads 1] [--jobs 1] [--out DIR]

Torch uses ``--threads`` threads in each run (default 1: these networks are too
small to gain from a second one, and on a shared 2-core machine spinning threads
cost more than they bring); ``--jobs`` runs that many seeds at once (keep it at
1 when the CPU time per run is what you report on a 2-core machine).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

import torch

from gensynth import api, hookimpl
from gensynth._metadata.config import parse_assignments

#: PacGAN (Lin et al. 2018), Table 1: (modes captured, % high-quality samples).
PUBLISHED = {
    "grid25": [("GAN", 17.3, 94.8), ("PacGAN4", 24.8, 93.6), ("VEEGAN", 24.6, 40.0)],
    "ring8": [("PacGAN2", 7.9, 95.6)],
}


class LastEvaluation:
    @hookimpl
    def on_evaluation_done(self, run, step, results):
        self.results = dict(results)


def mean_se(values: list[float]) -> str:
    se = statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.2f} ± {se:.2f}"


def run_one(job: tuple) -> tuple[str, int, dict[str, float], float]:
    """Train and evaluate one seed; returns ``(dataset, seed, results, CPU seconds)``."""
    dataset, seed, args, root = job
    torch.set_num_threads(args.threads)
    hook = LastEvaluation()
    options = {"batch_size": args.batch_size} if args.batch_size else {}
    began = time.process_time()
    api.train("mlp-gan", dataset, root / f"{dataset}-seed{seed}", steps=args.steps, recipe=args.recipe,
              config=parse_assignments(args.set), seed=seed, device="cpu", eval_every=args.steps,
              eval_metrics=("mode_coverage",), sample_every=args.steps, checkpoint_every=args.steps,
              hooks=[hook], **options)
    return dataset, seed, hook.results, time.process_time() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", help="recipe of mlp-gan [default: its default recipe]")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config value over the recipe's")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=24000)
    parser.add_argument("--batch-size", type=int, help="[default: the recipe's]")
    parser.add_argument("--datasets", default="ring8,grid25")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1, help="seeds trained at once")
    parser.add_argument("--out", type=Path, help="Keep the runs here [default: a temporary folder].")
    args = parser.parse_args()
    root = args.out or Path(tempfile.mkdtemp(prefix="mode-coverage-"))
    jobs = [(dataset, seed, args, root) for dataset in args.datasets.split(",") for seed in range(args.seeds)]
    if args.jobs > 1:
        with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
            outcomes = pool.map(run_one, jobs, chunksize=1)
    else:
        outcomes = [run_one(job) for job in jobs]
    rows = []
    for dataset in args.datasets.split(","):
        runs = [(seed, results, cpu) for name, seed, results, cpu in outcomes if name == dataset]
        for seed, results, cpu in runs:
            print(f"{dataset} seed {seed}: {results['modes']:.0f} modes, {100 * results['high_quality']:.1f} % high "
                  f"quality, reverse KL {results['reverse_kl']:.3f}, {cpu:.1f} s CPU", flush=True)
        rows.append((dataset, mean_se([r["modes"] for _, r, _ in runs]),
                     mean_se([100 * r["high_quality"] for _, r, _ in runs]),
                     mean_se([r["reverse_kl"] for _, r, _ in runs]), statistics.mean(c for _, _, c in runs)))
    recipe = (args.recipe or "default recipe") + "".join(f", {item}" for item in args.set)
    batch = f"batch {args.batch_size}" if args.batch_size else "the recipe's batch size"
    print(f"\nmlp-gan {recipe}, {args.steps:,} steps of {batch}, {args.seeds} seeds "
          f"(mean ± standard error), {args.threads} torch thread(s), {args.jobs} job(s) at once; runs in {root}")
    print("| data | model | modes | high quality % | reverse KL | CPU s / run |")
    print("|---|---|---|---|---|---|")
    for dataset, modes, quality, kl, cpu in rows:
        print(f"| {dataset} | gensynth mlp-gan | {modes} | {quality} | {kl} | {cpu:.1f} |")
        for name, anchor_modes, anchor_quality in PUBLISHED.get(dataset, []):
            print(f"| {dataset} | {name} (PacGAN Table 1) | {anchor_modes} | {anchor_quality} | - | - |")


if __name__ == "__main__":
    main()
