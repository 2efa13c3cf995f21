"""The adversarial losses of the reference CycleGAN and pix2pix, on PatchGAN outputs (one logit per patch)."""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

#: ``loss(outputs, real)``: how far the discriminator's ``outputs`` are from saying "real" (or "fake").
AdversarialLoss = Callable[[torch.Tensor, bool], torch.Tensor]


def lsgan(outputs: torch.Tensor, real: bool) -> torch.Tensor:
    """Least squares (Mao et al. 2017): mean squared distance to 1 (real) or 0 (fake)."""
    return F.mse_loss(outputs, torch.full_like(outputs, float(real)))


def vanilla(outputs: torch.Tensor, real: bool) -> torch.Tensor:
    """The original GAN cross-entropy on logits, against 1 (real) or 0 (fake)."""
    return F.binary_cross_entropy_with_logits(outputs, torch.full_like(outputs, float(real)))


LOSSES: dict[str, AdversarialLoss] = {"lsgan": lsgan, "vanilla": vanilla}


@contextlib.contextmanager
def frozen(*modules: nn.Module) -> Iterator[None]:
    """Run the modules without gradients for their parameters (gradients still flow to their inputs),
    as the reference freezes the discriminators while the generators learn."""
    params = [p for module in modules for p in module.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)
