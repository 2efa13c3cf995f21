"""Learning-rate schedules shared by models (``Model.configure_schedulers``)."""

from __future__ import annotations

from typing import Callable, Mapping

import torch


def linear_decay(total_steps: int, decay_start: float) -> Callable[[int], float]:
    """Learning-rate factor after ``step`` iterations: 1 until ``decay_start * total_steps``, then
    linearly down to 0 at ``total_steps`` (the CycleGAN reference's constant-then-linear rule, in steps)."""
    start = int(decay_start * total_steps)

    def factor(step: int) -> float:
        if step <= start or start >= total_steps:
            return 1.0
        return max(0.0, (total_steps - step) / (total_steps - start))

    return factor


def linear_decay_schedulers(optimizers: Mapping[str, torch.optim.Optimizer], total_steps: int,
                            decay_start: float) -> dict[str, torch.optim.lr_scheduler.LRScheduler]:
    """A :func:`linear_decay` scheduler for each optimizer (none when ``decay_start >= 1``)."""
    if decay_start >= 1:
        return {}
    factor = linear_decay(total_steps, decay_start)
    return {name: torch.optim.lr_scheduler.LambdaLR(opt, factor) for name, opt in optimizers.items()}
