"""CycleGAN between two real domains of handwritten digits, scored with digit classifiers.

Domain A is the MNIST test set (``mnist:`` on ``../shared/data/mnist``); domain B
is scikit-learn's 8x8 ``digits`` upscaled to 28 px (blurry, thick strokes that fill
the frame). Each is split by position into a part the CycleGAN and the classifiers
train on and a held-out part that only scoring sees:
A: images 0-7,999 / 8,000-9,999; B: images 0-1,399 / 1,400-1,796.

A small CNN trained on real B scores the held-out A images as they are (the
source-only baseline) and translated A -> B; one trained on real A scores the
held-out B images as they are and translated B -> A. The translated accuracy must
beat the baseline clearly. Each classifier's accuracy on held-out images of its
own domain is printed too, as the ceiling.

    OMP_NUM_THREADS=1 python benchmarks/cyclegan_digits.py [--steps 2500] [--device auto] [--data ../shared/data]

On 2 CPU cores it takes about 15 minutes of CPU time; figures in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from gensynth import api
from gensynth._metadata.request import DataRequest
from gensynth._data.spec import load_data
from gensynth._discovery.registry import get_registry
from gensynth._training.runtime import select_device

A_TRAIN, B_TRAIN = 8000, 1400
CONFIG = {"ngf": 16}


def classifier() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def train_classifier(x: torch.Tensor, y: torch.Tensor, steps: int, seed: int) -> nn.Module:
    """Adam 1e-3, batches of 64 drawn with a fixed seed, ``steps`` updates."""
    torch.manual_seed(seed)
    net = classifier().to(x.device)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(len(x), (64,), generator=generator).to(x.device)
        loss = nn.functional.cross_entropy(net(x[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return net.eval()


@torch.no_grad()
def accuracy(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    predictions = torch.cat([net(part).argmax(1) for part in x.split(500)])
    return (predictions == y).float().mean().item()


@torch.no_grad()
def translate(model, x: torch.Tensor, direction: str) -> torch.Tensor:
    return torch.cat([model.translate(part, direction) for part in x.split(500)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"),
                        help="folder holding mnist/ (default: ../shared/data beside the repository)")
    parser.add_argument("--steps", type=int, default=2500, help="CycleGAN training iterations")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                        help="CycleGAN config field (repeatable); defaults: " + json.dumps(CONFIG))
    parser.add_argument("--classifier-steps", type=int, default=1500)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="keep the CycleGAN run here (default: a temporary folder)")
    args = parser.parse_args()

    mnist = Path(args.data) / "mnist"
    if not (mnist / "t10k-images-idx3-ubyte.gz").is_file():
        sys.exit(f"MNIST test files not found in {mnist}; pass --data FOLDER holding mnist/")
    train_specs = {"a": f"mnist:{mnist}@:{A_TRAIN}", "b": f"digits@:{B_TRAIN}"}
    held_specs = {"a": f"mnist:{mnist}@{A_TRAIN}:", "b": f"digits@{B_TRAIN}:"}
    config = {**CONFIG, **dict(item.split("=", 1) for item in args.assignments)}
    device = select_device(args.device)

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out or Path(tmp) / "run")
        began, began_cpu = time.perf_counter(), time.process_time()
        api.train("cyclegan", train_specs, out, steps=args.steps, batch_size=args.batch_size, config=config,
                  seed=args.seed, device=str(device), progress=sys.stderr.isatty(), log_every=100,
                  sample_every=max(args.steps // 5, 1), checkpoint_every=args.steps)
        train_seconds, train_cpu = time.perf_counter() - began, time.process_time() - began_cpu
        model = api.load_run(out, device)

    request = DataRequest(image_size=28, channels=1, labels=True)
    registry = get_registry()
    train = {d: load_data(s, request, registry).to(device) for d, s in train_specs.items()}
    held = {d: load_data(s, request, registry).to(device) for d, s in held_specs.items()}
    began = time.perf_counter()
    judge = {d: train_classifier(train[d].x, train[d].y, args.classifier_steps, args.seed) for d in ("a", "b")}
    classifier_seconds = time.perf_counter() - began

    rows = []
    for source, target, direction in (("a", "b", "a2b"), ("b", "a", "b2a")):
        x, y = held[source].x, held[source].y
        baseline = accuracy(judge[target], x, y)
        translated = accuracy(judge[target], translate(model, x, direction), y)
        ceiling = accuracy(judge[target], held[target].x, held[target].y)
        rows.append((direction, len(x), baseline, translated, ceiling))

    print(f"CycleGAN MNIST (A) <-> digits (B), {args.steps} steps, batch {args.batch_size}, "
          f"config {json.dumps(config)}, seed {args.seed}, device {device}")
    print(f"training {train_seconds:.0f} s wall ({train_seconds / args.steps * 1000:.0f} ms/step), {train_cpu:.0f} s CPU "
          f"({torch.get_num_threads()} threads); classifiers {classifier_seconds:.0f} s wall")
    print(f"{'direction':<10}{'held-out':>9}{'source-only':>13}{'translated':>12}{'gain':>8}{'in-domain':>11}")
    for direction, n, baseline, translated, ceiling in rows:
        print(f"{direction:<10}{n:>9}{baseline:>13.1%}{translated:>12.1%}{translated - baseline:>+8.1%}{ceiling:>11.1%}")


if __name__ == "__main__":
    main()
