"""KID, IS and precision/recall: gensynth against torch-fidelity's own functions on the same features, same run.

torch-fidelity computes KID and precision/recall in float32 and IS in float64;
gensynth computes all three in float64 with the same subset draws, shuffles and
neighbourhoods. Prints both values, their difference and both times.

    python benchmarks/metric_agreement.py [--n 5000] [--dim 2048] [--classes 1008]

Needs ``pip install torch-fidelity`` (no weights are downloaded for this).
"""

from __future__ import annotations

import argparse
import math
import time

import torch

from gensynth.plugins.metrics.inception_score import inception_score
from gensynth.plugins.metrics.kid import kernel_inception_distance
from gensynth.plugins.metrics.precision_recall import precision_recall


def features(n: int, dim: int, seed: int, shift: float) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    mixing = torch.randn(dim, dim, generator=g) / math.sqrt(dim)
    return (torch.randn(n, dim, generator=g) @ mixing).abs() + shift


def compare(names: tuple[str, str], ours, theirs) -> None:
    """Run both, print each of the two values side by side with the two times."""
    began = time.perf_counter()
    a = ours()
    ours_time = time.perf_counter() - began
    began = time.perf_counter()
    b = theirs()
    theirs_time = time.perf_counter() - began
    for name, x, y in zip(names, a, b):
        print(f"{name:<10} gensynth {x:.10g}  torch-fidelity {y:.10g}  |difference| {abs(x - y):.2e} "
              f"(relative {abs(x - y) / max(abs(y), 1e-300):.2e})")
    print(f"{'':<10} times: gensynth {ours_time:.2f} s, torch-fidelity {theirs_time:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--classes", type=int, default=1008)
    args = parser.parse_args()
    from torch_fidelity.metric_isc import isc_features_to_metric
    from torch_fidelity.metric_kid import kid_features_to_metric
    from torch_fidelity.metric_prc import prc_features_to_metric

    generated, real = features(args.n, args.dim, 0, 0.05), features(args.n, args.dim, 1, 0.0)
    print(f"{args.n:,} x {args.dim:,} features per side, {torch.get_num_threads()} threads")
    kid_args = dict(kid_subsets=100, kid_subset_size=1000, kid_kernel="poly", kid_kernel_poly_degree=3,
                    kid_kernel_poly_gamma=None, kid_kernel_poly_coef0=1, rng_seed=2020, verbose=False)
    compare(("KID", "KID std"), lambda: kernel_inception_distance(generated, real),
            lambda: tuple(kid_features_to_metric(generated, real, **kid_args).values()))
    logits = features(args.n * 2, args.classes, 2, 0.0) * 4
    compare(("IS", "IS std"), lambda: inception_score(logits),
            lambda: tuple(isc_features_to_metric(logits, splits=10, shuffle=True, rng_seed=2020).values()))
    prc_args = dict(prc_neighborhood=3, prc_batch_size=10000, save_cpu_ram=False, verbose=False)
    compare(("precision", "recall"), lambda: precision_recall(real, generated),
            lambda: tuple(list(prc_features_to_metric(generated, real, **prc_args).values())[:2]))


if __name__ == "__main__":
    main()
