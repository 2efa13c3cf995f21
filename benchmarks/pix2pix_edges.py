"""pix2pix on MNIST edge maps -> digits, against an L1-only U-Net of the same size trained for the same steps.

The paired task is ``edges:mnist:../shared/data/mnist`` at 32 px: domain A holds the
Sobel edge maps (hollow outlines) of the MNIST test set, domain B the digits; pairs
0-7,999 train, 8,000-9,999 are held out. Both models are the ``small`` pix2pix recipe
(U-Net down to 1x1, ngf = ndf = 32, batch 16); the baseline sets ``lambda_gan=0``:
no discriminator, the same U-Net trained on L1 alone (the paper's "L1" row).

On the held-out pairs: L1 (mean absolute error, pixels in [0, 1]) and PSNR (dB, per
image, averaged) of the outputs against their targets; the accuracy of gensynth's
domain classifier of digits (trained on the training targets, cached) on the outputs,
against the digit labels; and the Fréchet distance of the outputs to the held-out
targets in that classifier's feature space (Inception's weights are not bundled; the
paper's point, sharper outputs at a similar L1, shows there too). The row "real
digits" compares 2,000 training targets with the held-out ones: the floor.

    OMP_NUM_THREADS=1 python benchmarks/pix2pix_edges.py [--steps 2000] [--seeds 0 1] [--data ../shared/data]

Figures in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

from gensynth import DataRequest, api, domain_classifier, gaussian_stats, load_data, quantize
from gensynth.plugins.metrics.frechet import frechet_distance

SIZE, TRAIN = 32, 8000
CONFIG = {"image_size": SIZE, "channels_a": 1, "channels_b": 1}
MODELS = {"pix2pix (L1 + cGAN)": {}, "L1-only U-Net": {"lambda_gan": 0.0}}


def scores(outputs: torch.Tensor, targets: torch.Tensor, labels: torch.Tensor, classifier, real_stats) -> dict:
    """L1, PSNR, classifier accuracy and Fréchet distance of ``outputs`` against ``targets`` (all in [-1, 1])."""
    outputs, targets = quantize(outputs), quantize(targets)
    error = (outputs - targets).abs().div(2)
    mse = error.pow(2).mean(dim=(1, 2, 3)).clamp_min(1e-10)
    with torch.no_grad():
        extracted = [classifier.extract(part) for part in outputs.split(500)]
    features = torch.cat([e.features for e in extracted])
    predicted = torch.cat([e.logits.argmax(1) for e in extracted])
    return {"l1": error.mean().item(), "psnr": (10 * torch.log10(1 / mse)).mean().item(),
            "accuracy": (predicted == labels).float().mean().item(),
            "fid": frechet_distance(*gaussian_stats(features.double()), *real_stats)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, help="keep the runs here (default: a temporary folder)")
    args = parser.parse_args()
    mnist = args.data / "mnist"
    if not mnist.is_dir():
        sys.exit(f"MNIST not found in {mnist}; pass --data FOLDER holding mnist/")
    train_spec, held_spec = f"edges:mnist:{mnist}@:{TRAIN}", f"edges:mnist:{mnist}@{TRAIN}:"
    request = DataRequest(image_size=SIZE, channels=1, labels=True)
    inputs, targets = (load_data(held_spec, DataRequest(image_size=SIZE, channels=1, labels=True, domain=d))
                       for d in ("a", "b"))
    classifier = domain_classifier(f"mnist:{mnist}@:{TRAIN}", channels=1, image_size=SIZE)
    with torch.no_grad():
        real_features = torch.cat([classifier.extract(quantize(p)).features for p in targets.x.split(500)])
    real_stats = gaussian_stats(real_features.double())
    others = load_data(f"mnist:{mnist}@:2000", request)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or Path(tmp)
        for seed in args.seeds:
            for name in args.models:
                out = root / f"{name.split()[0].lower()}-seed{seed}"
                began = time.perf_counter()
                api.train("pix2pix", train_spec, out, steps=args.steps, recipe="small",
                          config={**CONFIG, **MODELS[name]}, seed=seed, device=args.device,
                          progress=sys.stderr.isatty(), log_every=100, sample_every=max(args.steps // 4, 1),
                          checkpoint_every=args.steps)
                seconds = time.perf_counter() - began
                model = api.load_run(out, args.device)
                outputs = torch.cat([model.translate(part.to(args.device)).cpu() for part in inputs.x.split(500)])
                rows.append({"model": name, "seed": seed, "seconds": seconds,
                             **scores(outputs, targets.x, targets.y, classifier, real_stats)})
                print(json.dumps(rows[-1]), flush=True)

    print(f"\npix2pix, MNIST edges -> digits at {SIZE} px, recipe small, {args.steps} steps, "
          f"{len(targets)} held-out pairs, {torch.get_num_threads()} thread(s)")
    print(f"{'':<24}{'L1':>14}{'PSNR dB':>12}{'accuracy':>14}{'FID (classifier)':>18}{'s/run':>8}   (one value per seed)")
    for name in args.models:
        mine = [row for row in rows if row["model"] == name]
        cells = {key: " ".join(f"{row[key]:.{digits}f}" for row in mine)
                 for key, digits in (("l1", 3), ("psnr", 1), ("accuracy", 3), ("fid", 2))}
        seconds = sum(row["seconds"] for row in mine) / len(mine)
        print(f"{name:<24}{cells['l1']:>14}{cells['psnr']:>12}{cells['accuracy']:>14}{cells['fid']:>18}{seconds:>8.0f}")
    real = scores(others.x, targets.x, others.y, classifier, real_stats)
    ceiling = scores(targets.x, targets.x, targets.y, classifier, real_stats)["accuracy"]
    print(f"{'real digits':<24}{'-':>14}{'-':>12}{ceiling:>14.3f}{real['fid']:>18.2f}"
          f"   (accuracy on the held-out targets; FID of 2,000 training targets)")


if __name__ == "__main__":
    main()
