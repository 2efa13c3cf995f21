"""Class-conditional ``cdcgan`` on MNIST: does it draw the digit it is asked for, and how good are the digits?

Data: the MNIST test set read by ``mnist:PATH``, the first 8,000 images to
train (``@:8000``) and the last 2,000 held out (``@8000:``). ``cdcgan`` trains
with its default recipe (or ``--recipe``) for ``--steps`` steps through the
Trainer. The domain classifier (the ``classifier`` extractor, trained on the
8,000 training images) then labels ``--per-label`` samples generated for each
label; the accuracy per label is the share it classifies as that label (target
at least 95 % on average). FID and KID in the classifier's feature space from
2,000 samples (classes drawn uniformly) against the 2,000 held-out images.

    python benchmarks/cdcgan_mnist.py [--data ../shared/data/mnist] [--steps 16000] [--threads 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from gensynth import api
from gensynth._metadata.request import DataRequest
from gensynth._evaluation.session import Evaluation
from gensynth._discovery.registry import get_registry
from mnist_split import add_data_option, mnist_splits



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_option(parser)
    parser.add_argument("--steps", type=int, default=16000)
    parser.add_argument("--recipe", help="recipe of cdcgan [default: its default recipe]")
    parser.add_argument("--per-label", type=int, default=500, help="samples generated for each label")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train_spec, held_out_spec = mnist_splits(args.data)
    registry = get_registry()
    out = Path(tempfile.mkdtemp(prefix="cdcgan-mnist-")) / "run"

    began = time.perf_counter()
    api.train("cdcgan", train_spec, out, steps=args.steps, recipe=args.recipe, seed=args.seed, device="cpu")
    seconds = time.perf_counter() - began
    model, spec = api.load_run(out), api.model_spec("cdcgan")
    evaluation = Evaluation(["fid", "kid"], held_out_spec, DataRequest(image_size=28, channels=1), registry,
                            device=torch.device("cpu"), num_samples=2000, seed=args.seed,
                            extractor="classifier", classifier_data=train_spec)
    scores = {r.metric.split(':')[-1]: r.values for r in evaluation.run(model, spec)}
    classifier = evaluation.extractor.instance

    accuracies = []
    for label in range(model.num_classes):
        labels = torch.full((args.per_label,), label)
        with torch.no_grad():
            predicted = classifier.extract(model.sample(args.per_label, seed=args.seed + label, labels=labels)).logits.argmax(1)
        accuracies.append(float((predicted == label).double().mean()))
    recipe = args.recipe or spec.default_recipe
    print(f"cdcgan recipe {recipe!r}, {args.steps} steps on 8,000 MNIST images, seed {args.seed}, "
          f"{args.threads} thread(s): {seconds:.0f} s; run in {out}")
    print(f"domain classifier: test accuracy {classifier.describe()['test_accuracy']:.4f} on its own held-out part")
    print("| label | " + " | ".join(str(i) for i in range(len(accuracies))) + " | mean |")
    print("|---" * (len(accuracies) + 2) + "|")
    print("| accuracy % | " + " | ".join(f"{100 * a:.1f}" for a in accuracies)
          + f" | {100 * sum(accuracies) / len(accuracies):.2f} |")
    print(f"FID {scores['fid']['fid']:.3f}, KID {scores['kid']['kid']:.4f} "
          f"(classifier features, 2,000 samples vs the 2,000 held-out images)")


if __name__ == "__main__":
    main()
