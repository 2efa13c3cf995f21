"""The Inception Score, ``exp(E_x KL(p(y|x) || p(y)))``, from class logits.

As torch-fidelity computes it: the samples are shuffled with
``numpy.random.RandomState(seed).permutation`` (unless ``shuffle`` is off), cut
into ``splits`` consecutive parts, and each part's score uses its own marginal
``p(y)``; the result is the mean and standard deviation over the parts, in float64.
Balanced one-hot predictions over K classes score K; identical predictions score 1.
"""

from __future__ import annotations

import numpy as np
import torch

from gensynth import GensynthError
from gensynth.plugins.metrics.checks import require_features


def inception_score(logits: torch.Tensor, splits: int = 10, shuffle: bool = True,
                    seed: int = 2020) -> tuple[float, float]:
    """Mean and standard deviation of the Inception Score of ``logits`` (N, K) over ``splits`` parts."""
    require_features(logits, "class logits of the generated samples", "the Inception Score")
    n = len(logits)
    if splits < 1 or n < splits:
        raise GensynthError(f"the Inception Score over {splits} splits needs at least {max(splits, 1)} samples, "
                            f"got {n}; use more samples or --param is.splits=N")
    if shuffle:
        logits = logits[torch.from_numpy(np.random.RandomState(seed).permutation(n)).to(logits.device)]
    logits = logits.to(torch.float64)
    probs, log_probs = logits.softmax(dim=1), logits.log_softmax(dim=1)
    scores = []
    for i in range(splits):
        part = slice(i * n // splits, (i + 1) * n // splits)
        p, log_p = probs[part], log_probs[part]
        log_marginal = p.mean(dim=0, keepdim=True).log()
        terms = torch.where(p > 0, p * (log_p - log_marginal), 0.0)  # 0 log 0 = 0, even where p(y) underflows
        kl = terms.sum(dim=1).mean()
        scores.append(float(kl.exp()))
    return float(np.mean(scores)), float(np.std(scores))
