"""Adversarial losses on discriminator logits, selected by the ``loss`` config field."""

from __future__ import annotations

from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F


class GANLoss(NamedTuple):
    """``discriminator(real_logits, fake_logits)`` and ``generator(fake_logits)``."""

    discriminator: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    generator: Callable[[torch.Tensor], torch.Tensor]


def bce_discriminator(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Classify real as 1 and fake as 0 (sum of both terms, as in the DCGAN reference loop)."""
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


def bce_generator(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss: maximise log D(G(z)) rather than minimise log(1 - D(G(z)))."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


LOSSES: dict[str, GANLoss] = {"bce": GANLoss(bce_discriminator, bce_generator)}
