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
that the average's half-life is at most that fraction of the steps it has averaged: a
fixed decay of 0.999 (half-life 693 steps) would still weigh a 2,000-step run's early
generators, a ramp-up of 0.05 weighs its last hundred or so.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import _SpectralNorm  # the class spectral_norm() adds; torch exports no other name
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


def moving_average(network: nn.Module, decay: float, rampup: float = 0.0) -> AveragedModel:
    """A frozen copy of ``network`` that :func:`update_average` moves towards it by ``1 - decay`` per step.

    With ``rampup`` > 0 each update's decay is :func:`ramped_decay` of the updates averaged so far.
    """
    average_fn = _ramped_average(decay, rampup) if rampup > 0 else get_ema_multi_avg_fn(decay)
    average = AveragedModel(network, multi_avg_fn=average_fn, use_buffers=True)
    average.requires_grad_(False)
    return average


def ramped_decay(decay: float, rampup: float, age: int) -> float:
    """``decay``, or less so that the half-life is at most ``rampup * age`` steps (``age``: this update's number)."""
    return min(decay, 0.5 ** (1 / (rampup * age)))


def _ramped_average(decay: float, rampup: float):
    """AveragedModel's ``multi_avg_fn`` for a ramped decay; its ``num_averaged`` (saved with the average) is the age."""
    def update(averaged: list[torch.Tensor], current: list[torch.Tensor], num_averaged: torch.Tensor) -> None:
        age = int(num_averaged) + 1
        get_ema_multi_avg_fn(ramped_decay(decay, rampup, age))(averaged, current, num_averaged)
    return update


def update_average(average: AveragedModel, network: nn.Module, step: int, start: int) -> None:
    """After training step ``step`` (1-based): copy ``network`` while ``step <= start`` (warm-up), then average."""
    if step <= start:
        average.n_averaged.zero_()  # AveragedModel copies when it has averaged nothing yet
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
