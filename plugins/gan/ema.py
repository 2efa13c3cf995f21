"""Exponential moving average of generator weights, on :class:`torch.optim.swa_utils.AveragedModel`.

The average is a submodule of the model, so it is saved with the weights
(safetensors) and restored exactly on resume. BatchNorm running statistics are
averaged with the weights (``use_buffers``).
"""

from __future__ import annotations

from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


def moving_average(network: nn.Module, decay: float) -> AveragedModel:
    """A frozen copy of ``network`` that :func:`update_average` moves towards it by ``1 - decay`` per step."""
    average = AveragedModel(network, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
    average.requires_grad_(False)
    return average


def update_average(average: AveragedModel, network: nn.Module, step: int, start: int) -> None:
    """After training step ``step`` (1-based): copy ``network`` while ``step <= start`` (warm-up), then average."""
    if step <= start:
        average.n_averaged.zero_()  # AveragedModel copies when it has averaged nothing yet
    average.update_parameters(network)
