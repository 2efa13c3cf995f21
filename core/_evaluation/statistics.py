"""Gaussian statistics of feature sets, which the evaluation caches for reference data (FID's inputs)."""

from __future__ import annotations

import torch

from gensynth._errors import GensynthError
from gensynth._naming import option


def gaussian_stats(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (D,) and unbiased covariance (D, D) of ``features`` (N, D), in float64 (``numpy.cov`` convention)."""
    if features.ndim != 2 or len(features) < 2:
        raise GensynthError(f"a Gaussian fit needs at least 2 feature vectors, got {tuple(features.shape)}; "
                            f"use more samples ({option('num_samples')})")
    x = features.to(torch.float64)
    mean = x.mean(dim=0)
    centred = x - mean
    return mean, centred.T @ centred / (len(x) - 1)
