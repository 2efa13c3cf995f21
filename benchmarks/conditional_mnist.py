"""A class-conditional GAN (``cdcgan``, ``biggan``) on MNIST: does it draw the digit it is asked for, and how good
are the digits?

Data: the MNIST test set read by ``mnist:PATH``, the first 8,000 images to train (``@:8000``) and the last
2,000 held out (``@8000:``), at 28 px. The model trains with its default recipe (or ``--recipe``, with
``--set NAME=VALUE`` on top) for ``--steps`` steps through the Trainer. The domain classifier (the
``classifier`` extractor, trained on the 8,000 training images) then labels ``--per-label`` samples generated
for each label; the accuracy per label is the share it classifies as that label (target at least 95 % on
average). FID and KID in the classifier's feature space from 2,000 samples (classes drawn uniformly) against
the 2,000 held-out images.

    python benchmarks/conditional_mnist.py [--model cdcgan] [--data ../shared/data/mnist] [--steps 16000] [--threads 2]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch

from gan_scores import fid_kid, mnist_evaluation, per_label_accuracy, train
from gensynth import api
from gensynth._metadata.config import parse_assignments
from mnist_split import add_data_option, mnist_splits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_option(parser)
    parser.add_argument("--model", default="cdcgan", help="a conditional GAN: cdcgan or biggan")
    parser.add_argument("--steps", type=int, default=16000)
    parser.add_argument("--recipe", help="recipe of the model [default: its default recipe]")
    parser.add_argument("--set", dest="assignments", action="append", default=[], help="config NAME=VALUE")
    parser.add_argument("--per-label", type=int, default=500, help="samples generated for each label")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train_spec, held_out_spec = mnist_splits(args.data)
    out = Path(tempfile.mkdtemp(prefix=f"{args.model}-mnist-")) / "run"
    config = {"image_size": 28, **parse_assignments(args.assignments)}

    wall, cpu, _ = train(args.model, train_spec, out, steps=args.steps, seed=args.seed, config=config,
                       recipe=args.recipe)
    evaluation = mnist_evaluation(held_out_spec, train_spec, seed=args.seed)
    fid, kid = fid_kid(evaluation, out)
    accuracies = per_label_accuracy(evaluation, api.load_run(out), args.per_label, args.seed)
    classifier = evaluation.extractor.instance
    recipe = args.recipe or api.model_spec(args.model).default_recipe
    print(f"{args.model} recipe {recipe!r}, config {config}, {args.steps} steps on 8,000 MNIST images, seed "
          f"{args.seed}, {args.threads} thread(s): {wall:.0f} s ({cpu:.0f} s CPU); run in {out}")
    print(f"domain classifier: test accuracy {classifier.describe()['test_accuracy']:.4f} on its own held-out part")
    print("| label | " + " | ".join(str(i) for i in range(len(accuracies))) + " | mean |")
    print("|---" * (len(accuracies) + 2) + "|")
    print("| accuracy % | " + " | ".join(f"{100 * a:.1f}" for a in accuracies)
          + f" | {100 * sum(accuracies) / len(accuracies):.2f} |")
    print(f"FID {fid:.3f}, KID {kid:.4f} (classifier features, 2,000 samples vs the 2,000 held-out images)")


if __name__ == "__main__":
    main()
