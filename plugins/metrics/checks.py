"""Checks of what the metric math receives: feature matrices of the right shape with finite values.

A NaN or an infinity in the features would otherwise give NaN silently (KID,
IS), a plausible wrong number (precision/recall), or a linear-algebra error
(FID); each is a one-line error naming the side instead.
"""

from __future__ import annotations

import math

import torch

from gensynth import GensynthError


def require_finite(tensor: torch.Tensor, what: str, rows: bool = False) -> None:
    """A one-line GensynthError when ``tensor`` (named ``what``, e.g. ``generated features``) holds NaN or inf;
    ``rows``: count the rows (samples) that do, else the values."""
    if math.isfinite(float(tensor.sum())):  # cheap; a sum that overflows is checked element by element below
        return
    finite = torch.isfinite(tensor)
    if bool(finite.all()):
        return
    if rows:
        rows = int((~finite).any(dim=1).sum())
        where = f"{rows:,} of {len(tensor):,} rows"
    else:
        where = f"{int((~finite).sum()):,} of {tensor.numel():,} values"
    raise GensynthError(f"NaN or infinite values in the {what} ({where}): the model or the feature extractor "
                        f"produced non-finite numbers, so no metric can be computed from them")


def require_features(tensor: torch.Tensor, what: str, metric: str) -> None:
    """``tensor`` must be a finite (N, D) matrix of feature vectors."""
    if tensor.ndim != 2 or tensor.shape[1] == 0:
        raise GensynthError(f"{metric} needs the {what} as a matrix (samples, dimensions), got shape "
                            f"{tuple(tensor.shape)}")
    require_finite(tensor, what, rows=True)
