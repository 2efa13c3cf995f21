"""Two-player GAN training shared by every model of the GAN family.

A subclass builds a generator (``(n, latent_dim)`` noise to samples) and a
discriminator (samples to ``(n, 1)`` logits); this class supplies the loss
(any registered ``gan`` loss), the regularisers (spectral norm, R1 with lazy
regularisation, gradient penalty), two-time-scale Adam optimisers, several
discriminator steps per generator step, the generator EMA, and sampling.

A conditional subclass sets ``config.num_classes``; its generator is then
called as ``gen(z, labels)`` and its discriminator as ``disc(x, labels)``.
"""

from __future__ import annotations

import torch
from torch import nn

from gensynth import (
    Batch, GensynthError, Model, Phase, build_loss, checked_labels, linear_decay_schedulers, uniform_labels,
)
from gensynth.plugins.gan.config import GANConfig
from gensynth.plugins.gan.ema import moving_average, update_average
from gensynth.plugins.gan.losses import GANLoss
from gensynth.plugins.gan.regularisers import add_spectral_norm, gradient_penalty, r1_penalty


class GAN(Model):
    """A generator ``gen`` and a discriminator ``disc`` trained as ``config`` (a :class:`GANConfig`) says.

    Pass both networks initialised; spectral normalisation is added here. With
    ``config.ema_decay > 0`` the average of the generator, ``gen_ema``, is what
    :meth:`sample` uses.
    """

    config: GANConfig

    def __init__(self, config: GANConfig, gen: nn.Module, disc: nn.Module) -> None:
        super().__init__(config)
        self.gen = gen
        self.disc = disc
        if config.spectral_norm:
            add_spectral_norm(self.disc)
        self.loss = build_loss(config.loss, family="gan")
        if not isinstance(self.loss, GANLoss):
            raise GensynthError(f"loss {config.loss!r} is registered for the gan family but does not subclass "
                                "gensynth.plugins.gan.losses.GANLoss; choose another with --set loss=NAME "
                                "and report it to the loss's plugin")
        self.gp_weight = self.loss.gradient_penalty if config.gp_weight is None else config.gp_weight
        self.gen_ema = moving_average(gen, config.ema_decay) if config.ema_decay > 0 else None

    @property
    def num_classes(self) -> int:
        """Classes the model is conditioned on (0: unconditional)."""
        return getattr(self.config, "num_classes", 0)

    # -- training -------------------------------------------------------------------

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        return {
            "d": torch.optim.Adam(self.disc.parameters(), lr=c.lr_d, betas=(c.beta1, c.beta2)),
            "g": torch.optim.Adam(self.gen.parameters(), lr=c.lr_g, betas=(c.beta1, c.beta2)),
        }

    def configure_schedulers(self, optimizers, total_steps: int) -> dict[str, torch.optim.lr_scheduler.LRScheduler]:
        return linear_decay_schedulers(optimizers, total_steps, self.config.decay_start)

    def training_phases(self) -> list[Phase]:
        c = self.config
        phases = [Phase("d", "d", self._d_loss)]
        if c.r1_gamma > 0:
            phases.append(Phase("r1", "d", self._r1_loss, every=c.r1_every))
        phases.append(Phase("g", "g", self._g_loss, every=c.n_disc))
        return phases

    def end_iteration(self, step: int) -> None:
        if self.gen_ema is not None:
            update_average(self.gen_ema, self.gen, step, self.config.ema_start)

    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Latent vectors z ~ N(0, I); from the global RNG unless ``generator`` is given."""
        return torch.randn(n, self.config.latent_dim, device=self.device, generator=generator)

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None, network: nn.Module | None = None) -> torch.Tensor:
        network = network or self.gen
        return network(z) if labels is None else network(z, labels)

    def discriminate(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return self.disc(x) if labels is None else self.disc(x, labels)

    def _labels(self, batch: Batch) -> torch.Tensor | None:
        return batch["y"] if self.num_classes else None

    def _d_loss(self, batch: Batch, scratch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Discriminator step. Generates this iteration's fakes (for the batch's labels) once and
        leaves them in ``scratch["fake"]`` for the generator phase.

        Logs the mean raw discriminator outputs as ``logits/real`` and ``logits/fake`` and
        the gradient penalty as ``penalty/gp``; the Trainer logs the phase losses itself.
        """
        real, labels = batch["x"], self._labels(batch)
        fake = self.generate(self.noise(real.shape[0]), labels)
        scratch["fake"] = fake
        real_logits = self.discriminate(real, labels)
        fake_logits = self.discriminate(fake.detach(), labels)
        loss = self.loss.discriminator(real_logits, fake_logits)
        logs = {"logits/real": real_logits.detach().mean(), "logits/fake": fake_logits.detach().mean()}
        if self.gp_weight > 0:
            penalty = gradient_penalty(lambda x: self.discriminate(x, labels), real, fake)
            loss = loss + self.gp_weight * penalty
            logs["penalty/gp"] = penalty.detach()
        return loss, logs

    def _r1_loss(self, batch: Batch, scratch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Lazy R1: gamma / 2 * E|grad D(x_real)|^2, times ``r1_every`` since it runs every ``r1_every`` steps."""
        labels = self._labels(batch)
        penalty = r1_penalty(lambda x: self.discriminate(x, labels), batch["x"])
        return 0.5 * self.config.r1_gamma * self.config.r1_every * penalty, {"penalty/r1": penalty.detach()}

    def _g_loss(self, batch: Batch, scratch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Generator step on the fakes of the discriminator phase, judged by the updated discriminator."""
        return self.loss.generator(self.discriminate(scratch["fake"], self._labels(batch))), {}

    # -- generation -------------------------------------------------------------------

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None, labels: torch.Tensor | None = None,
               ema: bool = True) -> torch.Tensor:
        """``n`` samples from the generator average (``ema=False`` or ``ema_decay=0``: the raw
        generator), in eval mode; a conditional model follows ``labels`` or draws classes uniformly.

        BatchNorm then uses its running statistics, so a sample depends only on its
        own noise (not on ``n``) and sampling leaves the model's state untouched.
        """
        network = self.gen_ema.module if ema and self.gen_ema is not None else self.gen
        generator = self.seeded_generator(seed)
        z = self.noise(n, generator)
        if self.num_classes:
            labels = (uniform_labels(n, self.num_classes, self.device, generator) if labels is None
                      else checked_labels(labels, n, self.num_classes, self.device))
        elif labels is not None:
            raise GensynthError("this GAN is unconditional; it takes no labels")
        was_training = network.training
        network.eval()
        try:
            return self.generate(z, labels, network).float()
        finally:
            network.train(was_training)

