"""CycleGAN (Zhu, Park, Isola & Efros 2017): unpaired translation between two image domains.

Two generators, ``g_ab`` (A -> B) and ``g_ba`` (B -> A), and two PatchGAN
discriminators, ``d_a`` (real or fake A) and ``d_b`` (real or fake B). One
iteration is the reference's ``optimize_parameters``: first the generators (one
Adam over both) against the adversarial, cycle-consistency and identity losses
(and, with ``lambda_semantic``, CyCADA's semantic consistency: see
:mod:`gensynth.plugins.cyclegan.semantic`), then the discriminators (one Adam over
both) on real images and on fakes drawn from the image pools. With ``num_classes`` the
discriminators are class-conditional: each reads an image with one-hot planes of a class
stacked as channels, a real image's own and a translation's input's, so a 3 must become
a realistic 3 of the other domain; translating needs no class. The batch is
``{"a": {"x": ...}, "b": {"x": ...}}`` (see :mod:`gensynth._data.domains`).
"""

from __future__ import annotations

import itertools
from typing import Any, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from gensynth import (Batch, DataRequest, GensynthError, Model, Phase, build_augmentation, check_data_classes,
                      contact_sheet, linear_decay_schedulers)
from gensynth.plugins.cyclegan.classes import check_shared_classes
from gensynth.plugins.cyclegan.config import CycleGANConfig, check_d_layers, default_blocks, default_d_layers
from gensynth.plugins.cyclegan.losses import LOSSES, frozen
from gensynth.plugins.cyclegan.networks import check_input, init_weights, patch_discriminator, resnet_generator
from gensynth.plugins.cyclegan.pool import ImagePool
from gensynth.plugins.cyclegan.semantic import SemanticConsistency

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
        self.d_a = patch_discriminator(c.channels_a + c.num_classes, c.ndf, d_layers)
        self.d_b = patch_discriminator(c.channels_b + c.num_classes, c.ndf, d_layers)
        self.apply(lambda module: init_weights(module, c.init_gain))
        self.adversarial = LOSSES[c.gan_mode]
        self.pool_a, self.pool_b = ImagePool(c.pool_size), ImagePool(c.pool_size)
        #: What the semantic judges read of each translation (stateless, without weights), or None: the image.
        policy = c.semantic_augment.strip()
        self.semantic_augment = build_augmentation("diffaugment", policy=policy) if policy else None
        #: The semantic-consistency judges, planned from the data in bind_data (not a submodule: never saved).
        self.semantic: SemanticConsistency | None = None

    # -- data -----------------------------------------------------------------

    def data_request(self) -> dict[str, DataRequest]:
        c = self.config
        labels = c.num_classes > 0  # conditional discriminators need every image's class
        return {"a": DataRequest("image", c.image_size, c.channels_a, labels),
                "b": DataRequest("image", c.image_size, c.channels_b, labels)}

    def bind_data(self, info: Mapping[str, Any]) -> None:
        """With ``num_classes``, check both domains' labels; with ``lambda_semantic``, choose each direction's
        classifier from the domains' labels."""
        c = self.config
        if c.num_classes:
            check_shared_classes(info, "num_classes conditions both discriminators on one set of classes",
                                 "num_classes")
            one_source = info["a"].get("source") == info["b"].get("source")  # --data SPEC holding both domains
            for domain in ("a", "b"):
                check_data_classes(info[domain], c.num_classes, "data" if one_source else f"data[{domain}]")
        if c.lambda_semantic > 0:
            self.semantic = SemanticConsistency.from_data(info, self.directions, c.channels_a, c.image_size,
                                                          c.semantic_judge, c.semantic_judge_steps,
                                                          self.semantic_augment)

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
        # What each discriminator reads: the image, with the class planes of its input's label when conditional.
        seen_b, seen_a = self._with_class(fake_b, batch["a"]), self._with_class(fake_a, batch["b"])
        with frozen(self.d_a, self.d_b):
            parts = {"g/adv_ab": self.adversarial(self.d_b(seen_b), True),
                     "g/adv_ba": self.adversarial(self.d_a(seen_a), True)}
        parts["g/cycle_a"] = F.l1_loss(self.g_ba(fake_b), real_a) * c.lambda_a
        parts["g/cycle_b"] = F.l1_loss(self.g_ab(fake_a), real_b) * c.lambda_b
        if c.lambda_identity > 0:
            parts["g/idt_a"] = F.l1_loss(self.g_ba(real_a), real_a) * c.lambda_a * c.lambda_identity
            parts["g/idt_b"] = F.l1_loss(self.g_ab(real_b), real_b) * c.lambda_b * c.lambda_identity
        if c.lambda_semantic > 0:
            if self.semantic is None:
                raise GensynthError("lambda_semantic > 0 needs the facts of the training data: call "
                                    "model.bind_data(info) before training (gensynth train does)")
            labels = {d: batch[d].get("y") if c.semantic_classes == "label" else None for d in ("a", "b")}
            parts["g/sem_ab"] = self.semantic.loss("a2b", real_a, fake_b, labels["a"]) * c.lambda_semantic
            parts["g/sem_ba"] = self.semantic.loss("b2a", real_b, fake_a, labels["b"]) * c.lambda_semantic
        scratch["fake_a"], scratch["fake_b"] = seen_a.detach(), seen_b.detach()
        return sum(parts.values()), {name: part.detach() for name, part in parts.items()}

    def _discriminator_loss(self, batch: Batch, scratch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Each discriminator: real images against pooled fakes of its domain, halved as in the reference."""
        real_a, real_b = self._with_class(batch["a"]["x"], batch["a"]), self._with_class(batch["b"]["x"], batch["b"])
        d_a = self._judge(self.d_a, real_a, self.pool_a.query(scratch["fake_a"]))
        d_b = self._judge(self.d_b, real_b, self.pool_b.query(scratch["fake_b"]))
        return d_a + d_b, {"d/a": d_a.detach(), "d/b": d_b.detach()}

    def _with_class(self, images: torch.Tensor, source: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """``images`` beside one-hot planes of the classes ``source["y"]`` of the domain batch they come from
        (the images' own, or their inputs') when the discriminators are conditional (``num_classes``), else as
        they are. The pools keep these planes with each fake, so a pooled fake is judged with its own class."""
        if not self.config.num_classes:
            return images
        if source.get("y") is None:
            raise GensynthError(f"num_classes={self.config.num_classes} conditions the discriminators on class "
                                f"labels, and a batch has none; give labelled data in both domains or set "
                                f"num_classes=0")
        planes = F.one_hot(source["y"].long(), self.config.num_classes).to(images.dtype)
        return torch.cat([images, planes[:, :, None, None].expand(-1, -1, *images.shape[2:])], dim=1)

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
        source = direction[:1]
        channels = self.config.channels_a if source == "a" else self.config.channels_b
        check_input(x, direction, self.directions, channels, 4)
        generator = self.g_ab if source == "a" else self.g_ba
        return generator(x.to(self.device)).float()

    def sample(self, n: int, seed: int | None = None, **kwargs: Any) -> torch.Tensor:
        raise GensynthError(f"a CycleGAN translates images and cannot generate them without an input; "
                            f"use `{TRANSLATE_HINT}`")

    def previews(self, batch: Batch, n: int, seed: int) -> dict[str, torch.Tensor]:
        """``"a2b"``: each A beside G(A) and F(G(A)); ``"b2a"``: each B beside F(B) and G(F(B)); labelled columns."""
        real_a, real_b = batch["a"]["x"][:n], batch["b"]["x"][:n]
        fake_b, fake_a = self.translate(real_a, "a2b"), self.translate(real_b, "b2a")
        return {
            "a2b": contact_sheet({"input": real_a, "translated": fake_b, "reconstructed": self.translate(fake_b, "b2a")}),
            "b2a": contact_sheet({"input": real_b, "translated": fake_a, "reconstructed": self.translate(fake_a, "a2b")}),
        }


def check_config(c: CycleGANConfig) -> None:
    """Raise a GensynthError for a config the networks cannot be built with (beyond the fields' own bounds)."""
    if c.image_size % 4:
        raise GensynthError(f"image_size must be a multiple of 4 (the generator halves it twice), got {c.image_size}")
    for loss, field in (("identity", "lambda_identity"), ("semantic", "lambda_semantic")):
        if getattr(c, field) > 0 and c.channels_a != c.channels_b:
            raise GensynthError(f"the {loss} loss needs channels_a == channels_b; set {field}=0")
    check_d_layers(c.d_layers, c.image_size)

