"""Adversarial losses of the GAN family, registered through the Loss hook.

Every loss sees raw discriminator outputs (logits, or critic values for the
Wasserstein loss) and returns a scalar that the respective network minimises.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gensynth import GANLoss


class NonSaturating(GANLoss):
    """The original GAN loss with the non-saturating generator objective (binary cross-entropy)."""

    def discriminator(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        """Classify real as 1 and fake as 0 (sum of both terms, as in the DCGAN reference loop)."""
        return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))

    def generator(self, fake_logits: torch.Tensor) -> torch.Tensor:
        """Maximise log D(G(z)) rather than minimise log(1 - D(G(z)))."""
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


class Hinge(GANLoss):
    """Hinge loss (Lim & Ye 2017; SNGAN, BigGAN): E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]; G: -E[D(G(z))]."""

    def discriminator(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()

    def generator(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return -fake_logits.mean()


class Wasserstein(GANLoss):
    """Wasserstein loss with gradient penalty (Gulrajani et al. 2017): the critic minimises
    E[D(G(z))] - E[D(x)] + 10 E[(|grad D(x_mix)| - 1)^2]; the generator minimises -E[D(G(z))]."""

    gradient_penalty = 10.0

    def discriminator(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return fake_logits.mean() - real_logits.mean()

    def generator(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return -fake_logits.mean()


class LeastSquares(GANLoss):
    """Least-squares GAN (Mao et al. 2017) with targets a=0 (fake), b=1 (real), c=1:
    D: 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]; G: 1/2 E[(D(G(z)) - 1)^2]."""

    def discriminator(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((real_logits - 1) ** 2).mean() + 0.5 * (fake_logits ** 2).mean()

    def generator(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((fake_logits - 1) ** 2).mean()
