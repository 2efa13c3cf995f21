"""Improved precision and recall (Kynkäänniemi et al. 2019): k-nearest-neighbour manifolds.

Each real feature vector gets a ball whose radius is the distance to its k-th
nearest other real vector; precision is the fraction of generated vectors
inside at least one real ball. Recall swaps the roles. Distances are Euclidean,
computed in float64 in blocks of rows; a point on a ball's boundary is inside
(``<=``), as in the StyleGAN2-ADA and torch-fidelity implementations.
"""

from __future__ import annotations

import torch

from gensynth import GensynthError
from gensynth.plugins.metrics.checks import require_features

BLOCK = 2048
"""Rows of a distance block: memory is ``BLOCK x N`` float64 values."""


def squared_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``|a_i - b_j|²`` (len(a), len(b)) for float64 rows."""
    return ((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T).clamp(min=0)


def knn_radii(x: torch.Tensor, k: int) -> torch.Tensor:
    """Squared distance from each row of ``x`` to its k-th nearest other row (the row itself is at 0)."""
    return torch.cat([squared_distances(block, x).kthvalue(k + 1, dim=1).values for block in x.split(BLOCK)])


def coverage(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor) -> float:
    """Fraction of ``points`` within at least one ball (``centres``, squared ``radii``)."""
    inside = [(squared_distances(block, centres) <= radii[None, :]).any(dim=1) for block in points.split(BLOCK)]
    return float(torch.cat(inside).double().mean())


def precision_recall(real: torch.Tensor, generated: torch.Tensor, k: int = 3) -> tuple[float, float]:
    """``(precision, recall)`` of generated against real feature sets (N, D)."""
    require_features(real, "real features", "precision/recall")
    require_features(generated, "generated features", "precision/recall")
    if real.shape[1] != generated.shape[1]:
        raise GensynthError(f"cannot compare features of dimension {generated.shape[1]} with {real.shape[1]}; "
                            f"both sides must come from the same extractor")
    if min(len(real), len(generated)) <= k:
        raise GensynthError(f"precision/recall with k={k} needs more than {k} samples on each side, got "
                            f"{len(generated)} generated and {len(real)} real; use more samples")
    real, generated = real.to(torch.float64), generated.to(torch.float64)
    precision = coverage(generated, real, knn_radii(real, k))
    recall = coverage(real, generated, knn_radii(generated, k))
    return precision, recall
