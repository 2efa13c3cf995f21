"""CycleGAN (Zhu, Park, Isola & Efros 2017): unpaired translation between two image domains.

Two generators, ``g_ab`` (A -> B) and ``g_ba`` (B -> A), and two PatchGAN
discriminators, ``d_a`` (real or fake A) and ``d_b`` (real or fake B). One
iteration is the reference's ``optimize_parameters``: first the generators (one
Adam over both) against the adversarial, cycle-consistency and identity losses,
then the discriminators (one Adam over both) on real images and on fakes drawn
from the image pools. The batch is ``{"a": {"x": ...}, "b": {"x": ...}}``
(see :mod:`gensynth._data.domains`).
"""

from __future__ import annotations

import contextlib
import itertools
from typing import Any, Iterator, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from gensynth import Batch, DataRequest, GensynthError, Model, Phase, linear_decay_schedulers, side_by_side
from gensynth.plugins.cyclegan.config import CycleGANConfig, default_blocks, default_d_layers
from gensynth.plugins.cyclegan.losses import LOSSES
from gensynth.plugins.cyclegan.networks import init_weights, patch_discriminator, resnet_generator
from gensynth.plugins.cyclegan.pool import ImagePool

TRANSLATE_HINT = "gensynth translate RUN --direction a2b INPUT -o OUT_DIR"


class CycleGAN(Model):
    config: CycleGANConfig
    #: The translations :meth:`translate` offers (what evaluation metrics iterate over).
    directions = ("a2b", "b2a")

    def __init__(self, config: CycleGANConfig) -> None:
        super().__init__(config)
        check_config(config)
        c = config
        blocks = default_blocks(c.image_size) if c.n_blocks is None else c.n_blocks
        d_layers = default_d_layers(c.image_size) if c.d_layers is None else c.d_layers
        self.g_ab = resnet_generator(c.channels_a, c.channels_b, c.ngf, blocks)
        self.g_ba = resnet_generator(c.channels_b, c.channels_a, c.ngf, blocks)
        self.d_a = patch_discriminator(c.channels_a, c.ndf, d_layers)
        self.d_b = patch_discriminator(c.channels_b, c.ndf, d_layers)
        self.apply(lambda module: init_weights(module, c.init_gain))
        self.adversarial = LOSSES[c.gan_mode]
        self.pool_a, self.pool_b = ImagePool(c.pool_size), ImagePool(c.pool_size)

    # -- data -----------------------------------------------------------------

    def data_request(self) -> dict[str, DataRequest]:
        c = self.config
        return {"a": DataRequest("image", c.image_size, c.channels_a), "b": DataRequest("image", c.image_size, c.channels_b)}

    # -- training -------------------------------------------------------------

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        betas = (c.beta1, c.beta2)
        return {
            "g": torch.optim.Adam(itertools.chain(self.g_ab.parameters(), self.g_ba.parameters()), lr=c.lr, betas=betas),
            "d": torch.optim.Adam(itertools.chain(self.d_a.parameters(), self.d_b.parameters()), lr=c.lr, betas=betas),
        }

    def configure_schedulers(self, optimizers: Mapping[str, torch.optim.Optimizer],
                             total_steps: int) -> dict[str, torch.optim.lr_scheduler.LRScheduler]:
        return linear_decay_schedulers(optimizers, total_steps, self.config.decay_start)

    def training_phases(self) -> list[Phase]:
        return [Phase("g", "g", self._generator_loss), Phase("d", "d", self._discriminator_loss)]

    def _generator_loss(self, batch: Batch, scratch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Adversarial + cycle + identity losses of both generators; leaves the fakes in ``scratch``."""
        c = self.config
        real_a, real_b = batch["a"]["x"], batch["b"]["x"]
        fake_b = self.g_ab(real_a)
        fake_a = self.g_ba(real_b)
        with frozen(self.d_a, self.d_b):
            parts = {"g/adv_ab": self.adversarial(self.d_b(fake_b), True),
                     "g/adv_ba": self.adversarial(self.d_a(fake_a), True)}
        parts["g/cycle_a"] = F.l1_loss(self.g_ba(fake_b), real_a) * c.lambda_a
        parts["g/cycle_b"] = F.l1_loss(self.g_ab(fake_a), real_b) * c.lambda_b
        if c.lambda_identity > 0:
            parts["g/idt_a"] = F.l1_loss(self.g_ba(real_a), real_a) * c.lambda_a * c.lambda_identity
            parts["g/idt_b"] = F.l1_loss(self.g_ab(real_b), real_b) * c.lambda_b * c.lambda_identity
        scratch["fake_a"], scratch["fake_b"] = fake_a.detach(), fake_b.detach()
        return sum(parts.values()), {name: part.detach() for name, part in parts.items()}

    def _discriminator_loss(self, batch: Batch, scratch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Each discriminator: real images against pooled fakes of its domain, halved as in the reference."""
        d_a = self._judge(self.d_a, batch["a"]["x"], self.pool_a.query(scratch["fake_a"]))
        d_b = self._judge(self.d_b, batch["b"]["x"], self.pool_b.query(scratch["fake_b"]))
        return d_a + d_b, {"d/a": d_a.detach(), "d/b": d_b.detach()}

    def _judge(self, disc: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return 0.5 * (self.adversarial(disc(real), True) + self.adversarial(disc(fake), False))

    def training_state(self) -> dict[str, Any]:
        return {"pool_a": self.pool_a.state(), "pool_b": self.pool_b.state()}

    def load_training_state(self, state: Mapping[str, Any]) -> None:
        self.pool_a.load_state(state["pool_a"], self.device)
        self.pool_b.load_state(state["pool_b"], self.device)

    # -- translation ----------------------------------------------------------

    @torch.no_grad()
    def translate(self, x: torch.Tensor, direction: str) -> torch.Tensor:
        """Images ``x`` (N, C, H, W) in [-1, 1] of one domain translated into the other (``"a2b"`` or ``"b2a"``).

        H and W must be multiples of 4; the networks are convolutional, so sizes other than
        ``image_size`` work too. Deterministic: instance norm keeps no statistics and there is no dropout.
        """
        if direction not in self.directions:
            raise GensynthError(f"unknown direction {direction!r}: use a2b or b2a")
        source = direction[0]
        channels = self.config.channels_a if source == "a" else self.config.channels_b
        if x.dim() != 4 or x.shape[1] != channels or x.shape[-1] % 4 or x.shape[-2] % 4:
            raise GensynthError(f"{direction} translates domain {source.upper()} images shaped (N, {channels}, H, W) "
                                f"with H and W multiples of 4, got {tuple(x.shape)}")
        generator = self.g_ab if source == "a" else self.g_ba
        return generator(x.to(self.device)).float()

    def sample(self, n: int, seed: int | None = None, **kwargs: Any) -> torch.Tensor:
        raise GensynthError(f"a CycleGAN translates images and cannot generate them without an input; "
                            f"use `{TRANSLATE_HINT}`")

    def previews(self, batch: Batch, n: int, seed: int) -> dict[str, torch.Tensor]:
        """``"a2b"``: each A beside G(A) and F(G(A)); ``"b2a"``: each B beside F(B) and G(F(B))."""
        real_a, real_b = batch["a"]["x"][:n], batch["b"]["x"][:n]
        fake_b, fake_a = self.translate(real_a, "a2b"), self.translate(real_b, "b2a")
        return {
            "a2b": side_by_side(real_a, fake_b, self.translate(fake_b, "b2a")),
            "b2a": side_by_side(real_b, fake_a, self.translate(fake_a, "a2b")),
        }


def check_config(c: CycleGANConfig) -> None:
    """Raise a GensynthError for a config the networks cannot be built with (the bounds of single fields are
    declared in the config)."""
    if c.image_size % 4:
        raise GensynthError(f"image_size must be a multiple of 4 and at least 8 (the generator halves it twice), "
                            f"got {c.image_size}")
    if c.lambda_identity > 0 and c.channels_a != c.channels_b:
        raise GensynthError("the identity loss needs channels_a == channels_b; set lambda_identity=0")
    if c.d_layers is not None:
        most = max(k for k in range(1, 8) if (c.image_size >> k) - 2 >= 1)  # at least one output patch
        if not 1 <= c.d_layers <= most:
            raise GensynthError(f"d_layers must be between 1 and {most} for {c.image_size} px images, got {c.d_layers}")


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
