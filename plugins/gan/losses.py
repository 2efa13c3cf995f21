"""Adversarial losses of the GAN family, registered through the Loss hook."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gensynth.loss import Loss


class GANLoss(Loss):
    """What GAN models call: a discriminator loss on real and fake logits and a generator loss."""

    family = "gan"

    def discriminator(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def generator(self, fake_logits: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class NonSaturating(GANLoss):
    """The original GAN loss with the non-saturating generator objective (binary cross-entropy)."""

    def discriminator(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        """Classify real as 1 and fake as 0 (sum of both terms, as in the DCGAN reference loop)."""
        return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))

    def generator(self, fake_logits: torch.Tensor) -> torch.Tensor:
        """Maximise log D(G(z)) rather than minimise log(1 - D(G(z)))."""
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
