"""The score of a perfect memoriser: FID and KID of the training images themselves, drawn with replacement.

What a generator that reproduced its training set exactly would score under the GAN benchmarks' protocol
(``gan_scores.mnist_evaluation``: the domain classifier's features, trained on the first 8,000 MNIST test
images, 2,000 samples against the last 2,000 images, held out), for training sets of the first ``--images``
images (500, the small-data benchmark's, and 8,000, the others'). A generator trained on few images can only
beat it by generalising past them. The samples come through the same Evaluation as a model's: a freshly built
``dcgan`` (28 px, grey) whose ``sample`` draws the training images instead of generating.

    python benchmarks/memoriser_fid.py [--data ../shared/data/mnist] [--images 500,8000] [--threads 1]
"""

from __future__ import annotations

import argparse

import torch

from gan_scores import mnist_evaluation
from gensynth import DataRequest, api, load_data
from mnist_split import add_data_option, mnist_splits


def memoriser(images: torch.Tensor):
    """A ``dcgan`` whose samples are ``images`` drawn with replacement (seeded like a model's samples)."""
    model = api.build_model("dcgan")

    def sample(n: int, seed: int | None = None, **_) -> torch.Tensor:
        generator = torch.Generator().manual_seed(0 if seed is None else seed)
        return images[torch.randint(len(images), (n,), generator=generator)]

    object.__setattr__(model, "sample", sample)  # bypass Model's guard against hiding its own methods
    return model


def training_set_sizes(text: str) -> list[int]:
    """The ``--images`` sizes; exits with one line when one is not a whole number from 1 to 8,000."""
    sizes = [item.strip() for item in text.split(",")]
    bad = [item for item in sizes if not item.isdigit() or not 1 <= int(item) <= 8000]
    if bad:
        raise SystemExit(f"--images {','.join(bad)}: give training-set sizes from 1 to 8000, comma-separated "
                         f"(the training images are the first 8,000; the rest are held out)")
    return [int(item) for item in sizes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_option(parser)
    parser.add_argument("--images", default="500,8000", help="comma-separated training-set sizes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    sizes = training_set_sizes(args.images)
    torch.set_num_threads(args.threads)
    train_spec, held_out_spec = mnist_splits(args.data)
    evaluation = mnist_evaluation(held_out_spec, train_spec, seed=args.seed)
    spec = api.model_spec("dcgan")
    print("| training images | FID | KID |\n|---|---|---|")
    for n in sizes:
        images = load_data(f"mnist:{args.data}@:{n}", DataRequest(image_size=28, channels=1)).x
        scores = {r.metric.split(":")[-1]: r.values for r in evaluation.run(memoriser(images), spec)}
        print(f"| first {n:,} | {scores['fid']['fid']:.2f} | {scores['kid']['kid']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
