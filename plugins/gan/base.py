"""Two-player GAN training shared by every model of the GAN family.

A subclass builds a generator (``(n, latent_dim)`` noise to samples) and a
discriminator (samples to ``(n, 1)`` logits); this class supplies the loss
(any registered ``gan`` loss), the regularisers (spectral norm, R1 with lazy
regularisation, gradient penalty), two-time-scale Adam optimisers, several
discriminator steps per generator step, the generator EMA, and sampling.

A conditional subclass sets ``config.num_classes``; its generator is then
called as ``gen(z, labels)`` and its discriminator as ``disc(x, labels)``.

An image GAN's config may name an augmentation (``augment``, any registered
through ``register_augmentations``): every image the discriminator sees, real
or generated, in the discriminator, R1 and generator passes, goes through it
first (:meth:`GAN.discriminate`).

The methods of the ``latent`` and ``truncation`` capabilities are here (z ~ N(0, I)
is the code, decoded by the generator average); the image GANs declare them.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch
from torch import nn

from gensynth import (
    Augmentation, Batch, GensynthError, Model, Phase, build_augmentation, build_loss, check_data_classes,
    check_truncation, checked_labels, class_rows, linear_decay_schedulers, uniform_labels,
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
        self.gen_ema = moving_average(gen, config.ema_decay, config.ema_rampup) if config.ema_decay > 0 else None
        self.augment = augmentation(config)

    @property
    def num_classes(self) -> int:
        """Classes the model is conditioned on (0: unconditional)."""
        return getattr(self.config, "num_classes", 0)

    # -- training -------------------------------------------------------------------

    def bind_data(self, info: Mapping[str, Any]) -> None:
        if self.num_classes:
            check_data_classes(info, self.num_classes)

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

    def training_state(self) -> dict[str, Any]:
        """The augmentation's state (ADA's ``p`` and statistics), so that a resumed run continues exactly."""
        return {"augment": self.augment.training_state()} if self.augment is not None else {}

    def load_training_state(self, state: Mapping[str, Any]) -> None:
        if self.augment is not None and "augment" in state:
            self.augment.load_training_state(state["augment"])

    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Latent vectors z ~ N(0, I); from the global RNG unless ``generator`` is given."""
        return torch.randn(n, self.config.latent_dim, device=self.device, generator=generator)

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None, network: nn.Module | None = None) -> torch.Tensor:
        network = network or self.gen
        return network(z) if labels is None else network(z, labels)

    def discriminate(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """The discriminator's logits (N, 1) for ``x``, augmented first when the config names an augmentation."""
        if self.augment is not None:
            x = self.augment(x)
        return self.disc(x) if labels is None else self.disc(x, labels)

    def _labels(self, batch: Batch) -> torch.Tensor | None:
        return batch["y"] if self.num_classes else None

    def _d_loss(self, batch: Batch, scratch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Discriminator step. Generates this iteration's fakes (for the batch's labels) once and
        leaves them in ``scratch["fake"]`` for the generator phase.

        Logs the mean raw discriminator outputs as ``logits/real`` and ``logits/fake``,
        the gradient penalty as ``penalty/gp`` and the augmentation's own logs (ADA's
        ``augment/p``); the Trainer logs the phase losses itself. The augmentation observes
        the real logits here, once per discriminator step.
        """
        real, labels = batch["x"], self._labels(batch)
        fake = self.generate(self.noise(real.shape[0]), labels)
        scratch["fake"] = fake
        real_logits = self.discriminate(real, labels)
        fake_logits = self.discriminate(fake.detach(), labels)
        loss = self.loss.discriminator(real_logits, fake_logits)
        logs = {"logits/real": real_logits.detach().mean(), "logits/fake": fake_logits.detach().mean()}
        if self.augment is not None:
            self.augment.observe(real_logits.detach())
            logs.update(self.augment.logs())
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

    # -- generation ("latent" and "truncation" capabilities) -----------------------------

    def mean_latent(self) -> torch.Tensor:
        """The mean (1, latent_dim) of the latent prior N(0, I): the centre truncation pulls codes towards."""
        return torch.zeros(1, self.config.latent_dim, device=self.device)

    def truncate(self, z: torch.Tensor, truncation: float) -> torch.Tensor:
        """The truncation trick: ``mean + psi * (z - mean)`` for ``psi`` in [0, 1] (1: ``z`` itself)."""
        truncation = check_truncation(truncation)
        if truncation == 1:
            return z
        mean = self.mean_latent()
        return mean + truncation * (z - mean)

    @torch.no_grad()
    def sample_latents(self, n: int, seed: int | None = None, truncation: float = 1.0) -> torch.Tensor:
        """``n`` codes z ~ N(0, I) (n, latent_dim), truncated towards the mean latent by ``truncation``;
        the same seed gives the same codes and leaves the global RNG alone."""
        return self.truncate(self.noise(n, self.seeded_generator(seed)), truncation)

    @torch.no_grad()
    def decode_latents(self, z: torch.Tensor, labels: torch.Tensor | None = None, ema: bool = True) -> torch.Tensor:
        """The images of codes ``z`` (of classes ``labels``, one per code, for a conditional model) from the
        generator average (``ema=False`` or ``ema_decay=0``: the raw generator), in eval mode.

        BatchNorm then uses its running statistics, so an image depends only on its own code
        (not on the batch) and decoding leaves the model's state untouched.
        """
        network = self.gen_ema.module if ema and self.gen_ema is not None else self.gen
        z = z.to(self.device)
        if self.num_classes:
            if labels is None:
                raise GensynthError("this GAN is conditional: pass labels (one per code)")
            labels = checked_labels(labels, len(z), self.num_classes, self.device)
        elif labels is not None:
            raise GensynthError("this GAN is unconditional; it takes no labels")
        was_training = network.training
        network.eval()
        try:
            return self.generate(z, labels, network).float()
        finally:
            network.train(was_training)

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None, labels: torch.Tensor | None = None,
               ema: bool = True, truncation: float = 1.0) -> torch.Tensor:
        """``n`` samples: :meth:`decode_latents` of ``sample_latents(n, seed, truncation)``; a conditional
        model follows ``labels`` or draws classes uniformly (after the codes, from the same seed)."""
        generator = self.seeded_generator(seed)
        z = self.truncate(self.noise(n, generator), truncation)
        if self.num_classes and labels is None:
            labels = uniform_labels(n, self.num_classes, self.device, generator)
        return self.decode_latents(z, labels, ema)

    def previews(self, batch: Batch, n: int, seed: int) -> dict[str, torch.Tensor]:
        """Fixed-seed samples; for a conditional model one picture with a row of 8 per class (up to 16 classes)."""
        if self.num_classes:
            return {"samples": class_rows(self, min(self.num_classes, 16), 8, seed)}
        return super().previews(batch, n, seed)


def augmentation(config: GANConfig) -> Augmentation | None:
    """The augmentation an image GAN's config names, built with the config's augmentation options (None: none)."""
    name = getattr(config, "augment", "none")
    if name == "none":
        return None
    return build_augmentation(name, policy=config.augment_policy, p=config.augment_p, target=config.ada_target,
                              interval=config.ada_interval, speed_kimg=config.ada_kimg)
