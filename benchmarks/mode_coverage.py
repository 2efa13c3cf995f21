"""Mode coverage of ``mlp-gan`` with its default recipe on ring8 and grid25, over several seeds.

Each run trains ``gan:mlp-gan`` with its default config and ``gensynth train``'s
default batch size for ``--steps`` iterations on the CPU and is evaluated at its
last step through the Trainer's evaluation (``eval_every``), with the VEEGAN /
PacGAN protocol: 2,500 generated points, high quality within 3 standard
deviations of the nearest mode, a mode captured when it is the nearest mode of
a high-quality point. Prints the mean and standard error over seeds beside the
published rows of PacGAN (Lin et al. 2018), Table 1, and the CPU time per run.

    python benchmarks/mode_coverage.py [--seeds 10] [--steps 5000] [--threads 1] [--out DIR]

Torch uses ``--threads`` threads (default 1: these networks are too small to
gain from a second one, and on a shared 2-core machine spinning threads cost
more than they bring).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from gensynth import api, hookimpl

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--datasets", default="ring8,grid25")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, help="Keep the runs here [default: a temporary folder].")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    root = args.out or Path(tempfile.mkdtemp(prefix="mode-coverage-"))
    rows = []
    for dataset in args.datasets.split(","):
        modes, quality, kl, cpu = [], [], [], []
        for seed in range(args.seeds):
            hook = LastEvaluation()
            began = time.process_time()
            api.train("mlp-gan", dataset, root / f"{dataset}-seed{seed}", steps=args.steps, batch_size=args.batch_size,
                      seed=seed, device="cpu", eval_every=args.steps, eval_metrics=("mode_coverage",),
                      sample_every=args.steps, checkpoint_every=args.steps, hooks=[hook])
            cpu.append(time.process_time() - began)
            modes.append(hook.results["modes"])
            quality.append(100 * hook.results["high_quality"])
            kl.append(hook.results["reverse_kl"])
            print(f"{dataset} seed {seed}: {hook.results['modes']:.0f} modes, {quality[-1]:.1f} % high quality, "
                  f"reverse KL {kl[-1]:.3f}, {cpu[-1]:.1f} s CPU", flush=True)
        rows.append((dataset, mean_se(modes), mean_se(quality), mean_se(kl), statistics.mean(cpu)))
    print(f"\nmlp-gan default recipe, {args.steps:,} steps of batch {args.batch_size}, {args.seeds} seeds "
          f"(mean ± standard error), {args.threads} torch thread(s); runs in {root}")
    print(f"| data | model | modes | high quality % | reverse KL | CPU s / run |")
    print("|---|---|---|---|---|---|")
    for dataset, modes, quality, kl, cpu in rows:
        print(f"| {dataset} | gensynth mlp-gan | {modes} | {quality} | {kl} | {cpu:.1f} |")
        for name, anchor_modes, anchor_quality in PUBLISHED.get(dataset, []):
            print(f"| {dataset} | {name} (PacGAN Table 1) | {anchor_modes} | {anchor_quality} | - | - |")


if __name__ == "__main__":
    main()
