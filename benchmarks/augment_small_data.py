"""Discriminator augmentation on small data: GANs trained on the first 500 MNIST images with no augmentation,
DiffAugment and ADA, the same steps each, several seeds.

Data: the first ``--images`` (500) images of the MNIST test set to train (``mnist:PATH@:500``); FID and KID
in the features of the domain classifier (trained on the first 8,000 images) from 2,000 samples against the
last 2,000 images, held out. Each model trains with its default recipe, at 28 px, for ``--steps`` steps per
seed with ``augment=none``, ``diffaugment`` and ``ada`` (the augmentations' default policies), all else
equal. Prints one row per model and augmentation: the FID of each seed, their mean, and the mean's ratio
to no augmentation's (target: at most 0.70 with the best augmentation); with ``--every N`` also the mean FID
of the checkpoints every N steps (how the runs got there). Extra ``--set NAME=VALUE`` values go to every run
(e.g. ``--set ada_kimg=500``).

    python benchmarks/augment_small_data.py [--data ../shared/data/mnist] [--models dcgan,sngan]
        [--steps 6000] [--every 1500] [--seeds 0,1] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import torch

from gan_scores import checkpoint_fids, fid_kid, mnist_evaluation, train
from gensynth._metadata.config import parse_assignments
from mnist_split import add_data_option, mnist_splits

AUGMENTATIONS = ("none", "diffaugment", "ada")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_option(parser)
    parser.add_argument("--models", default="dcgan,sngan")
    parser.add_argument("--augments", default=",".join(AUGMENTATIONS))
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--every", type=int, default=0, help="also score the checkpoints every N steps")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--set", dest="assignments", action="append", default=[], help="config NAME=VALUE")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train_spec, held_out_spec = mnist_splits(args.data)
    small = f"mnist:{args.data}@:{args.images}"
    evaluation = mnist_evaluation(held_out_spec, train_spec)
    root = Path(tempfile.mkdtemp(prefix="augment-small-data-"))
    seeds = [int(s) for s in args.seeds.split(",")]
    extra = parse_assignments(args.assignments)
    table: dict[tuple[str, str], list[float]] = {}
    curves: dict[tuple[str, str], list[dict[int, float]]] = {}
    options = {"checkpoint_every": args.every, "keep_checkpoints": args.steps // args.every + 1} if args.every else {}
    for model in args.models.split(","):
        for augment in args.augments.split(","):
            for seed in seeds:
                out = root / f"{model}-{augment}-{seed}"
                config = {"image_size": 28, "augment": augment, **extra}
                wall, cpu, _ = train(model, small, out, steps=args.steps, seed=seed, config=config, options=options)
                fid, kid = fid_kid(evaluation, out)
                table.setdefault((model, augment), []).append(fid)
                if args.every:
                    curves.setdefault((model, augment), []).append(checkpoint_fids(evaluation, out))
                    print(f"  FID by step: {curves[(model, augment)][-1]}", flush=True)
                print(f"{model} augment={augment} seed {seed}: {wall:.0f} s ({cpu:.0f} s CPU), FID {fid:.2f}, KID {kid:.2f}; {out}",
                      flush=True)
    print(f"\n{args.images} MNIST images, {args.steps} steps, seeds {args.seeds}, {args.threads} thread(s), "
          f"extra config {extra or 'none'}")
    print("| model | augment | " + " | ".join(f"FID seed {s}" for s in seeds) + " | mean | ratio to none |")
    print("|---|---|" + "---|" * len(seeds) + "---|---|")
    for (model, augment), fids in table.items():
        mean = statistics.mean(fids)
        baseline = table.get((model, "none"))
        ratio = f"{mean / statistics.mean(baseline):.3f}" if baseline else "-"
        print(f"| {model} | {augment} | " + " | ".join(f"{f:.2f}" for f in fids) + f" | {mean:.2f} | {ratio} |")
    if curves:
        steps = sorted(next(iter(curves.values()))[0])
        print("\n| model | augment | " + " | ".join(f"step {s}" for s in steps) + " |")
        print("|---|---|" + "---|" * len(steps))
        for (model, augment), runs in curves.items():
            means = [statistics.mean(run[s] for run in runs) for s in steps]
            print(f"| {model} | {augment} | " + " | ".join(f"{m:.2f}" for m in means) + " |")


if __name__ == "__main__":
    main()
