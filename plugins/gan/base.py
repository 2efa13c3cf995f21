"""Two-player GAN training shared by every model of the GAN family.

A subclass builds a generator (``(n, latent_dim)`` noise to samples) and a
discriminator (samples to ``(n, 1)`` logits); this class supplies the
optimizers, the discriminator and generator phases, and sampling.
"""

from __future__ import annotations

import torch
from torch import nn

from gensynth.config import ModelConfig
from gensynth.model import Batch, Model, Phase
from gensynth.loss import build_loss


class GAN(Model):
    """A generator ``gen`` and a discriminator ``disc`` trained with ``config.loss``.

    The config must have ``latent_dim``, ``lr``, ``beta1``, ``beta2`` and ``loss``.
    """

    def __init__(self, config: ModelConfig, gen: nn.Module, disc: nn.Module) -> None:
        super().__init__(config)
        self.gen = gen
        self.disc = disc
        self.loss = build_loss(config.loss, family="gan")

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        return {
            "d": torch.optim.Adam(self.disc.parameters(), lr=c.lr, betas=(c.beta1, c.beta2)),
            "g": torch.optim.Adam(self.gen.parameters(), lr=c.lr, betas=(c.beta1, c.beta2)),
        }

    def training_phases(self) -> list[Phase]:
        return [Phase("d", "d", self._d_loss), Phase("g", "g", self._g_loss)]

    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Latent vectors z ~ N(0, I); from the global RNG unless ``generator`` is given."""
        return torch.randn(n, self.config.latent_dim, device=self.device, generator=generator)

    def _d_loss(self, batch: Batch, scratch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Discriminator step. Generates this iteration's fakes once and leaves them in
        ``scratch["fake"]`` for the generator phase (one generator forward per iteration).

        Logs the mean D(x) and D(G(z)) as ``prob/real`` and ``prob/fake``; the Trainer
        logs the phase losses itself (``loss/d``, ``loss/g``).
        """
        real = batch["x"]
        fake = self.gen(self.noise(real.shape[0]))
        scratch["fake"] = fake
        real_logits = self.disc(real)
        fake_logits = self.disc(fake.detach())
        loss = self.loss.discriminator(real_logits, fake_logits)
        return loss, {
            "prob/real": torch.sigmoid(real_logits.detach()).mean(),
            "prob/fake": torch.sigmoid(fake_logits.detach()).mean(),
        }

    def _g_loss(self, batch: Batch, scratch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Generator step on the fakes of the discriminator phase, judged by the updated discriminator."""
        return self.loss.generator(self.disc(scratch["fake"])), {}

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        """``n`` generator outputs, with the generator in eval mode.

        BatchNorm then uses its running statistics, so a sample depends only on its
        own noise (not on ``n``) and sampling leaves the model's state untouched. On
        DCGAN/digits these samples score the same as train-mode (batch-statistics)
        samples: one generator forward per iteration keeps the running statistics current.
        """
        was_training = self.gen.training
        self.gen.eval()
        try:
            return self.gen(self.noise(n, self.generator(seed))).float()
        finally:
            self.gen.train(was_training)
