"""Exponential moving average of generator weights, on :class:`torch.optim.swa_utils.AveragedModel`.

The average is a submodule of the model, so it is saved with the weights
(safetensors) and restored exactly on resume. BatchNorm running statistics are
averaged with the weights (``use_buffers``). So are spectral norm's singular-vector
estimates ``u`` and ``v``, which then no longer fit the averaged weight: in eval mode
spectral norm divides by ``u . W v`` without iterating, and averaged (shorter,
mixed) vectors made that too small, so the average's layers had spectral norms up
to 2 instead of 1. After each update, one power iteration from the averaged
vectors on the averaged weight (what spectral norm does in every training forward
pass) brings them back.

With a ramp-up (StyleGAN2-ADA's ``ema_rampup``) the decay of each update is lowered so
that the average's half-life is at most that fraction of the steps trained so far: a
fixed decay of 0.999 (half-life 693 steps) would still weigh a 2,000-step run's early
generators, a ramp-up of 0.05 weighs its last hundred or so. The ramp depends only on
the step, which the Trainer restores on resume.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import _SpectralNorm  # the class spectral_norm() adds; torch exports no other name
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


def moving_average(network: nn.Module, decay: float, rampup: float = 0.0) -> AveragedModel:
    """A frozen copy of ``network`` that :func:`update_average` moves towards it by ``1 - decay`` per step.

    With ``rampup`` > 0 each update's decay is :func:`ramped_decay` at its step.
    """
    average = AveragedModel(network, multi_avg_fn=_EMAUpdate(decay, rampup), use_buffers=True)
    average.requires_grad_(False)
    return average


def ramped_decay(decay: float, rampup: float, step: int) -> float:
    """``decay``, lowered so that the half-life is at most ``rampup`` times the steps trained before ``step``.

    StyleGAN2-ADA's ramp (its ``ema_nimg = min(ema_nimg, cur_nimg * ema_rampup)``) counted in steps;
    ``rampup`` 0: ``decay`` unchanged.
    """
    if rampup == 0:
        return decay
    half_life = rampup * (step - 1)
    return min(decay, 0.5 ** (1 / half_life)) if half_life > 0 else 0.0


class _EMAUpdate:
    """AveragedModel's ``multi_avg_fn``: torch's EMA update at the decay of the step :func:`update_average` sets."""

    def __init__(self, decay: float, rampup: float) -> None:
        self.decay, self.rampup, self.step = decay, rampup, 1

    def __call__(self, averaged: list[torch.Tensor], current: list[torch.Tensor], num_averaged: torch.Tensor) -> None:
        get_ema_multi_avg_fn(ramped_decay(self.decay, self.rampup, self.step))(averaged, current, num_averaged)


def update_average(average: AveragedModel, network: nn.Module, step: int, start: int) -> None:
    """After training step ``step`` (1-based): copy ``network`` while ``step <= start`` (warm-up), then average."""
    if step <= start:
        average.n_averaged.zero_()  # AveragedModel copies when it has averaged nothing yet
    average.multi_avg_fn.step = step
    average.update_parameters(network)
    _refit_spectral_norms(average.module)


@torch.no_grad()
def _refit_spectral_norms(network: nn.Module) -> None:
    """One power iteration of every spectral-norm parametrization in ``network`` on its (averaged) weight.

    Each parametrized tensor's whole chain runs once, with only its spectral norms in training mode (they
    iterate only then), so a spectral norm after another parametrization sees that one's output. The
    hook-based ``torch.nn.utils.spectral_norm`` (deprecated by torch) is not refit.
    """
    for module in network.modules():
        if not parametrize.is_parametrized(module):
            continue
        for chain in module.parametrizations.values():
            norms = [p for p in chain if isinstance(p, _SpectralNorm)]
            if not norms:
                continue
            modes = [p.training for p in norms]
            for p in norms:
                p.train()
            chain()
            for p, mode in zip(norms, modes):
                p.train(mode)
