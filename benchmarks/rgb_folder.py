"""A GAN on a folder of RGB images at 32 and 64 px: coloured MNIST, made by this script.

Data: the MNIST test set's digits, each coloured (the stroke in a random bright colour, the background in a
random dark one) and written as a 64 px PNG into one sub-folder per class: the first ``--images`` to
``train/``, the last 2,000 to ``held-out/``. ``--model`` (sngan) trains on ``folder:train`` with its default
recipe and ``channels=3`` at each of ``--sizes`` (the folder source resizes to the run's image size) for
``--steps`` steps, writes a grid of 64 samples, and reads back what the run recorded (image size, channels).
FID and KID in the features of a domain classifier trained on the coloured training images (3 channels, at
the run's size), from 2,000 samples against the held-out folder.

    python benchmarks/rgb_folder.py [--data ../shared/data/mnist] [--sizes 32,64] [--steps 1500] [--threads 1]
"""

from __future__ import annotations

import argparse
import colorsys
import random
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gan_scores import fid_kid, train
from gensynth import DataRequest, api, load_data
from gensynth._discovery.registry import get_registry
from gensynth._evaluation.session import Evaluation
from gensynth._metadata.config import parse_assignments
from gensynth._models.images import as_images, save_grid
from gensynth._training.rundir import RunDir
from mnist_split import add_data_option, mnist_splits

HELD_OUT = 2000
SIDE = 64


def colour(grey: np.ndarray, rng: random.Random) -> Image.Image:
    """A 28 px grey digit (0..255) as a 64 px RGB image: bright stroke on a dark background, random hues."""
    stroke = np.array(colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.6, 1.0), 1.0))
    background = np.array(colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.3, 0.8), rng.uniform(0.1, 0.4)))
    alpha = (grey.astype(np.float64) / 255)[:, :, None]
    rgb = (255 * (alpha * stroke + (1 - alpha) * background)).round().astype(np.uint8)
    return Image.fromarray(rgb, "RGB").resize((SIDE, SIDE), Image.BICUBIC)


def make_folder(mnist: str, root: Path, images: int, seed: int = 0) -> tuple[str, str]:
    """Write the coloured digits; ``(training spec, held-out spec)``."""
    data = load_data(mnist, DataRequest(image_size=28, channels=1, labels=True), get_registry())
    grey = ((data.x + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)[:, 0].numpy()
    rng = random.Random(seed)
    for index in list(range(images)) + list(range(len(grey) - HELD_OUT, len(grey))):
        part = "train" if index < images else "held-out"
        folder = root / part / str(int(data.y[index]))
        folder.mkdir(parents=True, exist_ok=True)
        colour(grey[index], rng).save(folder / f"{index:05d}.png")
    return f"folder:{root / 'train'}", f"folder:{root / 'held-out'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_option(parser)
    parser.add_argument("--model", default="sngan")
    parser.add_argument("--sizes", default="32,64")
    parser.add_argument("--images", type=int, default=8000)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--set", dest="assignments", action="append", default=[], help="config NAME=VALUE")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    mnist, _ = mnist_splits(args.data)
    root = Path(tempfile.mkdtemp(prefix="rgb-folder-"))
    train_spec, held_out_spec = make_folder(mnist.rsplit("@", 1)[0], root / "coloured-mnist", args.images)
    print(f"coloured MNIST: {args.images} training and {HELD_OUT} held-out 64 px PNGs in {root / 'coloured-mnist'}")
    for size in (int(s) for s in args.sizes.split(",")):
        out = root / f"{args.model}-{size}"
        config = {"image_size": size, "channels": 3, **parse_assignments(args.assignments)}
        wall, cpu, steps = train(args.model, train_spec, out, steps=args.steps, config=config)
        recorded = RunDir(out).read_config()
        grid = save_grid(as_images(api.load_run(out).sample(64, seed=0)), out / "sample.png", 8)
        evaluation = Evaluation(["fid", "kid"], held_out_spec, DataRequest(image_size=size, channels=3),
                                get_registry(), device=torch.device("cpu"), num_samples=2000, extractor="classifier",
                                classifier_data=train_spec)
        fid, kid = fid_kid(evaluation, out)
        model_config = recorded["model"]["config"]
        print(f"{args.model} at {size} px: {steps} steps in {wall:.0f} s ({cpu:.0f} s CPU); recorded image_size "
              f"{model_config['image_size']}, channels {model_config['channels']}, data shape "
              f"{recorded['data']['info']['shape']}; "
              f"FID {fid:.2f}, KID {kid:.2f} (classifier test accuracy "
              f"{evaluation.extractor.instance.describe()['test_accuracy']:.3f}); grid {grid}", flush=True)


if __name__ == "__main__":
    main()
