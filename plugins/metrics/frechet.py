"""The Fréchet distance between Gaussian fits of two feature sets (FID when the features are Inception's).

``d² = |μ1 - μ2|² + tr(Σ1) + tr(Σ2) - 2 tr((Σ1 Σ2)^½)``. The last trace is
computed exactly in float64 without an iterative matrix square root, from the
eigenvalues of a symmetric matrix similar to Σ1 Σ2:

* when one covariance is positive definite (the usual case: more samples than
  dimensions), its Cholesky factor ``Σ = L Lᵀ`` gives ``M = Lᵀ Σ' L``, whose
  eigenvalues are those of Σ1 Σ2 (``eigvalsh`` only: no eigenvectors; the products
  skip L's zero half);
* when both are rank-deficient (fewer samples than dimensions), ``M = Σ1^½ Σ2 Σ1^½``
  with ``Σ1^½`` from a full symmetric eigendecomposition.

Then ``tr((Σ1 Σ2)^½) = Σ sqrt(eig(M))``; eigenvalues within rounding of zero
(below ``n · eps · largest``, or slightly negative) count as zero, since their
square roots would turn rounding noise into a bias. A matrix that is not a covariance (not
symmetric, or with clearly negative eigenvalues) is an error, not clipped, and
so are NaN or infinite statistics; errors name the side (``names``). The
covariance is the unbiased one (``N - 1``), as in pytorch-fid and torch-fidelity.
"""

from __future__ import annotations

import torch

from gensynth import GensynthError
from gensynth.plugins.metrics.checks import require_finite

NEGATIVE_TOLERANCE = 1e-6
"""Eigenvalues down to ``-tolerance * largest`` count as rounding of a positive semi-definite matrix."""


def psd_sqrt(matrix: torch.Tensor, name: str = "covariance") -> torch.Tensor:
    """The symmetric square root of a symmetric positive semi-definite matrix (rounding's negative eigenvalues
    clipped; clearly negative ones are an error naming ``name``)."""
    values, vectors = torch.linalg.eigh(matrix)
    _require_psd(values, name)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def trace_sqrt_product(cov1: torch.Tensor, cov2: torch.Tensor, names: tuple[str, str] = ("first", "second")) -> float:
    """``tr((Σ1 Σ2)^½)`` of two covariances (float64), by the fastest exact route that applies."""
    for (factored, name_f), (other, name_o) in (((cov1, names[0]), (cov2, names[1])),
                                                ((cov2, names[1]), (cov1, names[0]))):
        lower, info = torch.linalg.cholesky_ex(factored)
        if int(info) == 0:  # positive definite: Σ = L Lᵀ, and eig(Lᵀ Σ' L) = eig(Σ Σ')
            values = torch.linalg.eigvalsh(_congruence_lower(lower, other))
            _require_psd(values, f"{name_o} covariance")  # congruent to Σ': the same signs of eigenvalues
            return _sum_of_roots(values)
    root1 = psd_sqrt(cov1, f"{names[0]} covariance")
    _require_psd(torch.linalg.eigvalsh(cov2), f"{names[1]} covariance")
    return _sum_of_roots(torch.linalg.eigvalsh(root1 @ (cov2 @ root1)))


def _congruence_lower(lower: torch.Tensor, matrix: torch.Tensor, blocks: int = 8) -> torch.Tensor:
    """``Lᵀ A L`` for a lower-triangular ``L``, correct on and below the diagonal (``eigvalsh`` reads only the
    lower triangle; above it the result is partly filled, partly zero), skipping the products with L's zero
    upper part: about half the work of two full matrix products, in ``blocks`` column blocks."""
    n = len(lower)
    bounds = [round(i * n / blocks) for i in range(blocks + 1)]
    right = torch.empty_like(matrix)  # A L: column block J of L is zero above its first row
    for begin, end in zip(bounds, bounds[1:]):
        right[:, begin:end] = matrix[:, begin:] @ lower[begin:, begin:end]
    result = torch.zeros_like(matrix)  # rows I of Lᵀ (A L), columns up to the end of I
    for begin, end in zip(bounds, bounds[1:]):
        result[begin:end, :end] = lower[begin:, begin:end].T @ right[begin:, :end]
    return result


def _sum_of_roots(eigenvalues: torch.Tensor) -> float:
    """``Σ sqrt(λ)`` over the eigenvalues of a positive semi-definite matrix, those within rounding of zero as zero."""
    noise = len(eigenvalues) * torch.finfo(eigenvalues.dtype).eps * float(eigenvalues.abs().max())
    return float(torch.where(eigenvalues > noise, eigenvalues, 0).sqrt().sum())


def frechet_distance(mean1: torch.Tensor, cov1: torch.Tensor, mean2: torch.Tensor, cov2: torch.Tensor,
                     names: tuple[str, str] = ("first", "second")) -> float:
    """The squared Fréchet distance between N(mean1, cov1) and N(mean2, cov2), computed in float64.

    ``names`` name the two sides in errors (the FID metric passes ``("generated", "reference")``).
    """
    for mean, cov, name in ((mean1, cov1, names[0]), (mean2, cov2, names[1])):
        if mean.ndim != 1 or cov.shape != (len(mean), len(mean)):
            raise GensynthError(f"the {name} statistics do not fit together: a mean of shape {tuple(mean.shape)} "
                                f"needs a covariance of shape ({len(mean)}, {len(mean)}) and the covariance is "
                                f"{tuple(cov.shape)}" if mean.ndim == 1 else
                                f"the {name} mean must be a vector, got shape {tuple(mean.shape)}")
    if mean1.shape != mean2.shape:
        raise GensynthError(f"cannot compare features of dimension {len(mean1)} ({names[0]}) with {len(mean2)} "
                            f"({names[1]}); both sides must come from the same extractor")
    mean1, cov1, mean2, cov2 = (t.to(torch.float64) for t in (mean1, cov1, mean2, cov2))
    for tensor, what in ((mean1, f"{names[0]} mean"), (cov1, f"{names[0]} covariance"),
                         (mean2, f"{names[1]} mean"), (cov2, f"{names[1]} covariance")):
        require_finite(tensor, what)
    for cov, name in ((cov1, names[0]), (cov2, names[1])):
        if not _symmetric(cov):
            raise GensynthError(f"the {name} covariance is not symmetric, so it is not a covariance matrix")
    diff = mean1 - mean2
    value = float(diff @ diff + torch.trace(cov1) + torch.trace(cov2)) - 2 * trace_sqrt_product(cov1, cov2, names)
    return max(value, 0.0)  # rounding can leave -1e-12 where the distributions coincide


def _symmetric(matrix: torch.Tensor) -> bool:
    """Whether ``matrix`` is symmetric up to rounding, probed with two fixed random vectors: ``uᵀ A v = vᵀ A u``
    for every pair when A is symmetric, and for almost no pair when it is not (two matrix-vector products
    instead of a transposed copy of the whole matrix)."""
    generator = torch.Generator(device=matrix.device).manual_seed(0)
    u, v = torch.randn(2, len(matrix), generator=generator, dtype=matrix.dtype, device=matrix.device)
    gap = float(u @ (matrix @ v) - v @ (matrix @ u))
    return abs(gap) <= NEGATIVE_TOLERANCE * float(u.norm() * v.norm() * matrix.norm()) / len(matrix) ** 0.5


def _require_psd(eigenvalues: torch.Tensor, name: str) -> None:
    smallest, largest = float(eigenvalues.min()), float(eigenvalues.abs().max())
    if smallest < -NEGATIVE_TOLERANCE * largest:
        raise GensynthError(f"the {name} is not positive semi-definite (eigenvalue {smallest:.3g}, largest "
                            f"{largest:.3g}), so it is not a covariance matrix")
