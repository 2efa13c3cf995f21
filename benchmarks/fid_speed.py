"""FID speed and agreement: gensynth's eigendecomposition FID against pytorch-fid's sqrtm FID, same run.

Two sets of 10,000 x 2,048 random, correlated features (full-rank covariances,
like Inception pool features); both implementations get the same means and
covariances. Prints both values, their relative difference, both times and the
ratio; torch-fidelity's FID (eigenvalues of Σ1·Σ2) is added when installed.
Target: gensynth at least 5x faster with the same value (1e-6 relative).

    python benchmarks/fid_speed.py [--n 10000] [--dim 2048] [--runs 3]

pytorch-fid and torch-fidelity are not gensynth dependencies:
``pip install pytorch-fid torch-fidelity`` (no weights are downloaded for this).
"""

from __future__ import annotations

import argparse
import math
import os
import time

import torch

from gensynth._evaluation.statistics import gaussian_stats
from gensynth.plugins.metrics.frechet import frechet_distance


def features(n: int, dim: int, seed: int, shift: float) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    mixing = torch.randn(dim, dim, generator=g, dtype=torch.float64) / math.sqrt(dim)
    return (torch.randn(n, dim, generator=g, dtype=torch.float64) @ mixing).abs() + shift  # ReLU-like, correlated


def timed(fn, runs: int) -> tuple[float, float]:
    """(value, best wall time over ``runs``)."""
    best, value = float("inf"), None
    for _ in range(runs):
        began = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - began)
    return float(value), best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.n:,} x {args.dim:,} features per side; torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{os.cpu_count()} CPUs")
    began = time.perf_counter()
    (mu1, sigma1), (mu2, sigma2) = (gaussian_stats(features(args.n, args.dim, s, shift))
                                    for s, shift in ((0, 0.0), (1, 0.05)))
    print(f"Gaussian statistics of both sides (gensynth, float64): {time.perf_counter() - began:.2f} s")

    ours, ours_time = timed(lambda: frechet_distance(mu1, sigma1, mu2, sigma2), args.runs)
    print(f"gensynth frechet_distance (eigh)      FID {ours:.10f}  best of {args.runs}: {ours_time:.3f} s")
    numpy_args = [t.numpy() for t in (mu1, sigma1, mu2, sigma2)]
    try:
        from pytorch_fid.fid_score import calculate_frechet_distance
    except ImportError:
        print("pytorch-fid is not installed: pip install pytorch-fid to compare")
        return
    theirs, theirs_time = timed(lambda: calculate_frechet_distance(*numpy_args), 1)
    print(f"pytorch-fid calculate_frechet_distance (scipy sqrtm)  FID {theirs:.10f}  {theirs_time:.3f} s")
    print(f"relative difference {abs(ours - theirs) / abs(theirs):.2e}  (target <= 1e-6)")
    print(f"speed-up {theirs_time / ours_time:.1f}x  (target >= 5x)")
    try:
        from torch_fidelity.metric_fid import fid_statistics_to_metric
    except ImportError:
        return
    stats = lambda mu, sigma: {"mu": mu, "sigma": sigma}  # noqa: E731
    fidelity, fidelity_time = timed(lambda: fid_statistics_to_metric(stats(*numpy_args[:2]), stats(*numpy_args[2:]),
                                                                     False)["frechet_inception_distance"], 1)
    print(f"torch-fidelity fid_statistics_to_metric (eigvals)    FID {fidelity:.10f}  {fidelity_time:.3f} s  "
          f"relative difference {abs(ours - fidelity) / abs(fidelity):.2e}")


if __name__ == "__main__":
    main()
