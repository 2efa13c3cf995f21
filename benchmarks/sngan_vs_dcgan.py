"""``sngan`` against ``dcgan``, each with its default recipe, at equal compute time on MNIST.

Data: the MNIST test set read by ``mnist:PATH``, the first 8,000 images to train (``@:8000``) and the last
2,000 held out (``@8000:``), at 28 px (``--set image_size=28`` for sngan, dcgan's default). Each model trains
through the Trainer for ``--seconds`` of CPU time of the training process with one torch thread (the wall
time of a quiet machine; CPU time, so that other jobs on a shared machine do not tilt the comparison; a
lifecycle hook stops it, as Ctrl-C would, at the first step past the limit), one after the other,
``--rounds`` times alternating. Both are scored with FID
and KID in the domain classifier's features (trained on the 8,000 training images) from 2,000 samples of the
generator average against the 2,000 held-out images; FID of the raw generator (``ema=False``) is printed
beside it. Extra ``--set NAME=VALUE`` values go to sngan (to compare settings).

    python benchmarks/sngan_vs_dcgan.py [--data ../shared/data/mnist] [--seconds 600] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import torch

from gan_scores import fid_kid, mnist_evaluation, train
from gensynth import api
from gensynth._metadata.config import parse_assignments
from gensynth._training.rundir import RunDir
from mnist_split import add_data_option, mnist_splits


def raw_fid(evaluation, run_dir: Path) -> float:
    """FID of the raw generator: the run's model with its average dropped."""
    model = api.load_run(run_dir)
    model.gen_ema = None
    spec = api.model_spec(RunDir(run_dir).read_config()["model"]["id"])
    return next(r.values["fid"] for r in evaluation.run(model, spec) if r.metric.endswith("fid"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_option(parser)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--models", default="dcgan,sngan", help="comma-separated, trained in this order each round")
    parser.add_argument("--set", dest="assignments", action="append", default=[], help="sngan config NAME=VALUE")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train_spec, held_out_spec = mnist_splits(args.data)
    evaluation = mnist_evaluation(held_out_spec, train_spec, seed=args.seed)
    root = Path(tempfile.mkdtemp(prefix="sngan-vs-dcgan-"))
    sngan_config = {"image_size": 28, **parse_assignments(args.assignments)}
    rows: dict[str, list[tuple[float, int, float, float, float]]] = {}
    for round_ in range(args.rounds):
        for name in args.models.split(","):
            out = root / f"{name}-{round_}"
            config = sngan_config if name == "sngan" else {}
            wall, cpu, steps = train(name, train_spec, out, steps=10 ** 7, cpu_seconds=args.seconds,
                                     seed=args.seed + round_, config=config)
            fid, kid = fid_kid(evaluation, out)
            rows.setdefault(name, []).append((cpu, steps, fid, kid, raw_fid(evaluation, out)))
            print(f"{name} round {round_}: {steps} steps in {cpu:.0f} s CPU ({wall:.0f} s wall), FID {fid:.2f} (raw generator "
                  f"{rows[name][-1][4]:.2f}), KID {kid:.3f}; run in {out}", flush=True)
    print(f"\nequal CPU time {args.seconds:.0f} s, {args.threads} thread(s), sngan config {sngan_config}")
    print("| model | steps | CPU s | FID (EMA) | FID raw G | KID |")
    print("|---|---|---|---|---|---|")
    for name, results in rows.items():
        for seconds, steps, fid, kid, raw in results:
            print(f"| {name} | {steps} | {seconds:.0f} | {fid:.2f} | {raw:.2f} | {kid:.2f} |")
    if {"dcgan", "sngan"} <= set(rows):
        best = {name: statistics.median(min(r[2], r[4]) for r in results) for name, results in rows.items()}
        fids = {name: statistics.median(r[2] for r in results) for name, results in rows.items()}
        print(f"FID ratio sngan / dcgan (generator average, median over rounds): {fids['sngan'] / fids['dcgan']:.3f}"
              f"; best of average and raw generator: {best['sngan'] / best['dcgan']:.3f}")


if __name__ == "__main__":
    main()
