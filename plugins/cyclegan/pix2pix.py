"""pix2pix (Isola, Zhu, Zhou & Efros 2017): paired image-to-image translation with a conditional GAN.

A U-Net generator ``g`` maps an input image (domain A) to its target (domain B);
a PatchGAN discriminator ``d`` judges (input, output) pairs stacked as channels.
One iteration is the reference's ``optimize_parameters``: first ``d`` on the real
pair against the generated one (halved), then ``g`` against the adversarial loss
plus ``lambda_l1`` times the L1 distance to the target. With ``lambda_gan = 0``
there is no discriminator: an L1-only U-Net, the paper's baseline.

The data are aligned pairs (``DataRequest(paired=True)``, e.g. ``paired:PATH`` or
``edges:SPEC``): the batch is ``{"a": {"x": inputs}, "b": {"x": targets}}`` with the
same samples in both. Random jitter and mirroring are applied to each pair alike,
from torch's global generator (which checkpoints save, so resume stays exact).
"""

from __future__ import annotations

from typing import Any, Mapping

import torch
import torch.nn.functional as F

from gensynth import Batch, DataRequest, GensynthError, Model, Phase, contact_sheet, linear_decay_schedulers
from gensynth.plugins.cyclegan.config import Pix2PixConfig, check_d_layers, default_d_layers, default_downs
from gensynth.plugins.cyclegan.losses import LOSSES, frozen
from gensynth.plugins.cyclegan.networks import check_input, init_weights, patch_discriminator
from gensynth.plugins.cyclegan.unet import unet_generator

TRANSLATE_HINT = "gensynth translate RUN INPUT -o OUT_DIR"


class Pix2Pix(Model):
    config: Pix2PixConfig
    #: Input (A) to target (B) only: the model learns no way back.
    directions = ("a2b",)

    def __init__(self, config: Pix2PixConfig) -> None:
        super().__init__(config)
        c = config
        self.n_downs = default_downs(c.image_size) if c.n_downs is None else c.n_downs
        check_config(c, self.n_downs)
        d_layers = default_d_layers(c.image_size) if c.d_layers is None else c.d_layers
        self.g = unet_generator(c.channels_a, c.channels_b, c.ngf, self.n_downs, c.norm, c.dropout)
        self.d = patch_discriminator(c.channels_a + c.channels_b, c.ndf, d_layers, c.norm) if c.lambda_gan > 0 else None
        self.apply(lambda module: init_weights(module, c.init_gain))
        self.adversarial = LOSSES[c.gan_mode]

    # -- data -----------------------------------------------------------------

    def data_request(self) -> dict[str, DataRequest]:
        c = self.config
        return {"a": DataRequest("image", c.image_size, c.channels_a, paired=True),
                "b": DataRequest("image", c.image_size, c.channels_b, paired=True)}

    # -- training -------------------------------------------------------------

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        networks = {"g": self.g, "d": self.d}
        return {name: torch.optim.Adam(net.parameters(), lr=c.lr, betas=(c.beta1, c.beta2))
                for name, net in networks.items() if net is not None}

    def configure_schedulers(self, optimizers: Mapping[str, torch.optim.Optimizer],
                             total_steps: int) -> dict[str, torch.optim.lr_scheduler.LRScheduler]:
        return linear_decay_schedulers(optimizers, total_steps, self.config.decay_start)

    def training_phases(self) -> list[Phase]:
        generator = Phase("g", "g", self._generator_loss)
        return [generator] if self.d is None else [Phase("d", "d", self._discriminator_loss), generator]

    def _pair(self, batch: Batch, scratch: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The iteration's (jittered) input, target and generated output, made once and shared by the phases."""
        if "pair" not in scratch:
            real_a, real_b = jittered(batch["a"]["x"], batch["b"]["x"], self.config.jitter, self.config.flip)
            scratch["pair"] = real_a, real_b, self.g(real_a)
        return scratch["pair"]

    def _discriminator_loss(self, batch: Batch, scratch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The real pair against the generated one (detached), halved as in the reference."""
        real_a, real_b, fake_b = self._pair(batch, scratch)
        real = self.adversarial(self.d(torch.cat([real_a, real_b], dim=1)), True)
        fake = self.adversarial(self.d(torch.cat([real_a, fake_b.detach()], dim=1)), False)
        return 0.5 * (real + fake), {"d/real": real.detach(), "d/fake": fake.detach()}

    def _generator_loss(self, batch: Batch, scratch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``lambda_gan`` x adversarial (the discriminator frozen) + ``lambda_l1`` x L1 to the target."""
        c = self.config
        real_a, real_b, fake_b = self._pair(batch, scratch)
        parts = {"g/l1": F.l1_loss(fake_b, real_b) * c.lambda_l1}
        if self.d is not None:
            with frozen(self.d):
                parts["g/adv"] = self.adversarial(self.d(torch.cat([real_a, fake_b], dim=1)), True) * c.lambda_gan
        return sum(parts.values()), {name: part.detach() for name, part in parts.items()}

    # -- translation ----------------------------------------------------------

    @torch.no_grad()
    def translate(self, x: torch.Tensor, direction: str = "a2b") -> torch.Tensor:
        """Input images ``x`` (N, C_a, H, W) in [-1, 1] translated to targets (``"a2b"``, the only direction).

        H and W must be multiples of ``2 ** n_downs``. The generator runs in eval mode (batch norm's
        running statistics, no dropout), so the result is deterministic and training is unaffected.
        """
        check_input(x, direction, self.directions, self.config.channels_a, 2 ** self.n_downs)
        was_training = self.g.training
        self.g.eval()
        try:
            return self.g(x.to(self.device)).float()
        finally:
            self.g.train(was_training)

    def sample(self, n: int, seed: int | None = None, **kwargs: Any) -> torch.Tensor:
        raise GensynthError(f"pix2pix translates input images and cannot generate them without one; "
                            f"use `{TRANSLATE_HINT}`")

    def previews(self, batch: Batch, n: int, seed: int) -> dict[str, torch.Tensor]:
        """``"a2b"``: each input beside its translation and its target, in labelled columns."""
        real_a, real_b = batch["a"]["x"][:n], batch["b"]["x"][:n]
        return {"a2b": contact_sheet({"input": real_a, "translated": self.translate(real_a), "target": real_b})}


def jittered(a: torch.Tensor, b: torch.Tensor, jitter: float, flip: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The reference's random jitter on pairs: both images enlarged by ``jitter`` (bilinear) and cropped back at
    one random place per pair, then mirrored left-right together with probability 1/2 when ``flip``."""
    both = torch.cat([a, b], dim=1)
    n, _, height, width = both.shape
    if jitter > 0:
        big = (round(height * (1 + jitter)), round(width * (1 + jitter)))
        enlarged = F.interpolate(both, size=big, mode="bilinear", align_corners=False)
        tops = torch.randint(big[0] - height + 1, (n,)).tolist()
        lefts = torch.randint(big[1] - width + 1, (n,)).tolist()
        both = torch.stack([enlarged[i, :, top:top + height, left:left + width]
                            for i, (top, left) in enumerate(zip(tops, lefts))])
    if flip:
        mirrored = (torch.rand(n) < 0.5).to(both.device).view(n, 1, 1, 1)
        both = torch.where(mirrored, both.flip(-1), both)
    return both[:, :a.shape[1]], both[:, a.shape[1]:]


def check_config(c: Pix2PixConfig, n_downs: int) -> None:
    """Raise a GensynthError for a config the networks cannot be built with (beyond the fields' own bounds)."""
    if c.image_size % 2 ** n_downs:
        fits = default_downs(c.image_size)
        remedy = f"set n_downs to at most {fits} or change image_size" if fits else "give an even image_size"
        raise GensynthError(f"image_size {c.image_size} is not a multiple of 2^{n_downs} = {2 ** n_downs}, which "
                            f"{n_downs} U-Net down-sampling steps need; {remedy}")
    check_d_layers(c.d_layers, c.image_size)
