"""Kernel Inception Distance: the unbiased MMD² with a polynomial kernel, averaged over random subsets.

``k(x, y) = (γ x·y + c)^d`` with d = 3, γ = 1/D, c = 1 (Bińkowski et al. 2018).
Each of ``subsets`` rounds draws ``subset_size`` generated and ``subset_size``
real features without replacement, from ``numpy.random.RandomState(seed)`` in
torch-fidelity's order (generated first), and computes the unbiased estimate

    MMD² = (ΣK_xx - tr K_xx + ΣK_yy - tr K_yy) / (m(m-1)) - 2 ΣK_xy / m²

in float64. The defaults are torch-fidelity's (100 subsets of 1,000, seed 2020),
so the same features give the same number.
"""

from __future__ import annotations

import numpy as np
import torch

from gensynth import GensynthError
from gensynth.plugins.metrics.checks import require_features


def polynomial_kernel(x: torch.Tensor, y: torch.Tensor, degree: int, gamma: float, coef0: float) -> torch.Tensor:
    return (x @ y.T).mul_(gamma).add_(coef0).pow_(degree)


def polynomial_mmd2(x: torch.Tensor, y: torch.Tensor, degree: int = 3, gamma: float | None = None,
                    coef0: float = 1.0) -> float:
    """Unbiased MMD² between equally many samples ``x`` and ``y`` (m, D); ``gamma`` defaults to 1/D."""
    m = len(x)
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    k_xx = polynomial_kernel(x, x, degree, gamma, coef0)
    k_yy = polynomial_kernel(y, y, degree, gamma, coef0)
    k_xy = polynomial_kernel(x, y, degree, gamma, coef0)
    within = k_xx.sum() - k_xx.diagonal().sum() + k_yy.sum() - k_yy.diagonal().sum()
    return float(within / (m * (m - 1)) - 2 * k_xy.sum() / (m * m))


def kernel_inception_distance(generated: torch.Tensor, real: torch.Tensor, subsets: int = 100,
                              subset_size: int = 1000, degree: int = 3, gamma: float | None = None,
                              coef0: float = 1.0, seed: int = 2020) -> tuple[float, float]:
    """Mean and standard deviation of the subset MMD² estimates between feature sets (N, D)."""
    require_features(generated, "generated features", "KID")
    require_features(real, "real features", "KID")
    if generated.shape[1] != real.shape[1]:
        raise GensynthError(f"cannot compare features of dimension {generated.shape[1]} with {real.shape[1]}; "
                            f"both sides must come from the same extractor")
    if subset_size < 2 or subsets < 1:
        raise GensynthError(f"KID needs subset_size >= 2 and subsets >= 1, got {subset_size} and {subsets}")
    if len(generated) < subset_size or len(real) < subset_size:
        raise GensynthError(f"KID subsets of {subset_size} need at least that many samples on each side, got "
                            f"{len(generated)} generated and {len(real)} real; use more samples or "
                            f"--param kid.subset_size=N with N <= {min(len(generated), len(real))}")
    rng = np.random.RandomState(seed)
    x_all, y_all = generated.to(torch.float64), real.to(torch.float64)
    estimates = []
    for _ in range(subsets):
        x = x_all[torch.from_numpy(rng.choice(len(x_all), subset_size, replace=False)).to(x_all.device)]
        y = y_all[torch.from_numpy(rng.choice(len(y_all), subset_size, replace=False)).to(y_all.device)]
        estimates.append(polynomial_mmd2(x, y, degree, gamma, coef0))
    return float(np.mean(estimates)), float(np.std(estimates))
