"""Statistics the metrics and models share: Gaussian statistics of feature sets, which the evaluation caches for
reference data (FID's inputs), and the perplexity of code counts."""

from __future__ import annotations

import math

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


def perplexity(counts: torch.Tensor) -> float:
    """``exp(H)`` of the frequencies of ``counts`` (K,), how often each of K codes occurs: the number of equally
    used codes that would give the same entropy (1: one code; K: all used equally). Float64 over the codes that
    occur; a Python float, so it waits for the device (a VQ-VAE's training log and the ``code_usage`` metric)."""
    frequencies = counts.double() / counts.sum()
    used = frequencies[frequencies > 0]
    return math.exp(float(-(used * used.log()).sum()))
