"""FID speed and agreement: gensynth's Fréchet distance against pytorch-fid's ``scipy.linalg.sqrtm`` one, same session.

Two sets of N x D random, correlated features (full-rank covariances, like
Inception pool features at N = 10,000, D = 2,048); both implementations get the
same means and covariances. Like against like: each run of each side computes
the whole distance from the same statistics, the runs alternate (gensynth,
pytorch-fid, gensynth, ...), both sides run ``--runs`` times, and the table
gives the median and the fastest run of each, in wall time and in CPU time of
this process (the steadier figure on a shared machine when threads are pinned),
and the ratios of the medians.

A second case has rank-deficient covariances (``--small-n`` < D samples), where
gensynth takes its eigendecomposition route; its value is compared with the
eigenvalues of Σ1·Σ2 from NumPy (torch-fidelity's formula) and with pytorch-fid.

Targets: at least 10x faster than pytorch-fid at 10,000 x 2,048 with the same
value to 1e-9 relative.

    OMP_NUM_THREADS=1 python benchmarks/fid_speed.py [--n 10000] [--dim 2048] [--runs 3] [--threads 1]

pytorch-fid is not a gensynth dependency: ``pip install --no-deps pytorch-fid`` (no weights are downloaded).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
import warnings

import numpy as np
import torch

from gensynth import gaussian_stats
from gensynth.plugins.metrics.frechet import frechet_distance


def features(n: int, dim: int, seed: int, shift: float) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    mixing = torch.randn(dim, dim, generator=g, dtype=torch.float64) / math.sqrt(dim)
    return (torch.randn(n, dim, generator=g, dtype=torch.float64) @ mixing).abs() + shift  # ReLU-like, correlated


def statistics_pair(n: int, dim: int) -> list[torch.Tensor]:
    (mu1, sigma1), (mu2, sigma2) = (gaussian_stats(features(n, dim, seed, shift)) for seed, shift in ((0, 0.0), (1, 0.05)))
    return [mu1, sigma1, mu2, sigma2]


def eigvals_fid(mu1, sigma1, mu2, sigma2) -> float:
    """The Fréchet distance from the eigenvalues of Σ1·Σ2 (NumPy, float64), as torch-fidelity computes it."""
    diff = mu1 - mu2
    trace_sqrt = np.sqrt(np.linalg.eigvals(sigma1 @ sigma2).real.clip(min=0)).sum()
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt)


def alternate(sides: dict[str, callable], runs: int) -> dict[str, tuple[float, list[float], list[float]]]:
    """``{name: (value, [wall seconds per run], [CPU seconds per run])}``, the sides in turn, ``runs`` times each."""
    out: dict[str, tuple[float, list[float], list[float]]] = {name: (math.nan, [], []) for name in sides}
    for _ in range(runs):
        for name, fn in sides.items():
            wall, cpu = time.perf_counter(), time.process_time()
            value = float(fn())
            _, walls, cpus = out[name]
            out[name] = (value, [*walls, time.perf_counter() - wall], [*cpus, time.process_time() - cpu])
    return out


def report(title: str, results: dict[str, tuple[float, list[float], list[float]]], reference: str) -> None:
    print(f"\n{title}\n")
    print("| implementation | FID | wall s: median (fastest) | CPU s: median (fastest) | runs | "
          "relative difference to gensynth |")
    print("|---|---|---|---|---|---|")
    ours = results["gensynth frechet_distance"]
    for name, (value, walls, cpus) in results.items():
        diff = abs(value - ours[0]) / abs(ours[0])
        print(f"| {name} | {value:.10f} | {statistics.median(walls):.3f} ({min(walls):.3f}) | "
              f"{statistics.median(cpus):.3f} ({min(cpus):.3f}) | {len(walls)} | {diff:.1e} |")
    if reference in results:
        wall, cpu = (statistics.median(results[reference][i]) / statistics.median(ours[i]) for i in (1, 2))
        print(f"\nspeed-up over {reference} (ratio of medians): {wall:.1f}x in wall time, {cpu:.1f}x in CPU time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--small-n", type=int, default=1_000, help="samples per side of the rank-deficient case")
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch threads [default: torch's]; set OMP_NUM_THREADS too")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        from pytorch_fid.fid_score import calculate_frechet_distance
    except ImportError:
        raise SystemExit("pytorch-fid is not installed: pip install --no-deps pytorch-fid to compare") from None
    print(f"{args.n:,} x {args.dim:,} features per side; torch {torch.__version__}, {torch.get_num_threads()} torch "
          f"threads, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    for title, n in ((f"Full-rank covariances ({args.n:,} x {args.dim:,} per side)", args.n),
                     (f"Rank-deficient covariances ({args.small_n:,} x {args.dim:,} per side)", args.small_n)):
        stats = statistics_pair(n, args.dim)
        arrays = [t.numpy() for t in stats]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pytorch-fid warns about singular products in the second case
            results = alternate({
                "gensynth frechet_distance": lambda: frechet_distance(*stats),
                "pytorch-fid calculate_frechet_distance (scipy sqrtm)": lambda: calculate_frechet_distance(*arrays),
                "NumPy eigvals of Σ1·Σ2 (torch-fidelity's formula)": lambda: eigvals_fid(*arrays),
            }, args.runs)
        report(title, results, "pytorch-fid calculate_frechet_distance (scipy sqrtm)")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
