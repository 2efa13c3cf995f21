"""Mode coverage on 2-D Gaussian mixtures, with the protocol of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018).

A generated point is *high quality* when it lies within ``threshold`` (3)
standard deviations of its nearest mode; a mode is *captured* when it is the
nearest mode of at least one high-quality point. The *reverse KL* is
``KL(p || uniform)`` where ``p`` is the histogram of all generated points over
their nearest modes: 0 when every mode gets the same share, ``log K`` when one
mode gets everything.
"""

from __future__ import annotations

import torch

from gensynth import GensynthError


def mode_coverage(points: torch.Tensor, modes: torch.Tensor, std: float, threshold: float = 3.0) -> dict[str, float]:
    """``modes`` captured, ``high_quality`` fraction and ``reverse_kl`` of ``points`` (N, D) against ``modes`` (K, D)."""
    if points.ndim != 2 or points.shape[1] != modes.shape[1]:
        raise GensynthError(f"mode coverage needs points of dimension {modes.shape[1]}, got shape {tuple(points.shape)}")
    if len(points) == 0:
        raise GensynthError("mode coverage needs at least one generated point; use more samples")
    distances = torch.cdist(points.to(torch.float64), modes.to(torch.float64))
    nearest_distance, nearest = distances.min(dim=1)
    high_quality = nearest_distance <= threshold * std
    captured = nearest[high_quality].unique().numel()
    share = torch.bincount(nearest, minlength=len(modes)).double() / len(points)
    present = share[share > 0]
    reverse_kl = float((present * (present * len(modes)).log()).sum())
    return {"modes": float(captured), "high_quality": float(high_quality.double().mean()),
            "reverse_kl": max(reverse_kl, 0.0)}  # rounding can leave -1e-17 for a uniform share
