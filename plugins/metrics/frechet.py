"""The Fréchet distance between Gaussian fits of two feature sets (FID when the features are Inception's).

``d² = |μ1 - μ2|² + tr(Σ1) + tr(Σ2) - 2 tr((Σ1 Σ2)^½)``. The last trace is
computed exactly in float64 without an iterative matrix square root: Σ1 Σ2 is
similar to the symmetric positive semi-definite ``M = Σ1^½ Σ2 Σ1^½`` (``Σ1^½``
from a symmetric eigendecomposition), so ``tr((Σ1 Σ2)^½) = Σ sqrt(eig(M))``.
Eigenvalues that rounding leaves slightly negative are set to zero, so
rank-deficient covariances (fewer samples than dimensions) give a real,
finite value. The covariance is the unbiased one (``N - 1``), as in
pytorch-fid and torch-fidelity.
"""

from __future__ import annotations

import torch

from gensynth import GensynthError


def psd_sqrt(matrix: torch.Tensor) -> torch.Tensor:
    """The symmetric square root of a symmetric positive semi-definite matrix (negative eigenvalues clipped)."""
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def frechet_distance(mean1: torch.Tensor, cov1: torch.Tensor, mean2: torch.Tensor, cov2: torch.Tensor) -> float:
    """The squared Fréchet distance between N(mean1, cov1) and N(mean2, cov2), computed in float64."""
    if mean1.shape != mean2.shape or cov1.shape != cov2.shape:
        raise GensynthError(f"cannot compare features of dimension {tuple(mean1.shape)} with {tuple(mean2.shape)}; "
                            f"both sides must come from the same extractor")
    mean1, cov1, mean2, cov2 = (t.to(torch.float64) for t in (mean1, cov1, mean2, cov2))
    root1 = psd_sqrt(cov1)
    middle = root1 @ cov2 @ root1
    eigenvalues = torch.linalg.eigvalsh((middle + middle.T) / 2)
    trace_sqrt = eigenvalues.clamp(min=0).sqrt().sum()
    diff = mean1 - mean2
    value = diff @ diff + torch.trace(cov1) + torch.trace(cov2) - 2 * trace_sqrt
    return max(float(value), 0.0)  # rounding can leave -1e-12 where the distributions coincide
