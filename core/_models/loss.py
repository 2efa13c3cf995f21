"""The Loss interface: losses are registered by plugins and chosen by name in a model's config.

A loss belongs to a model family, which defines the methods its models call.
The GAN family's protocol is :class:`GANLoss` (public as ``gensynth.GANLoss``, so a
third-party loss needs no import from the GAN plugin); its models call
``discriminator(real_logits, fake_logits)`` and ``generator(fake_logits)``.
A third-party plugin registers a new one with ``register(LossSpec(name=...,
family="gan", target="pkg.module:MyLoss"))`` and every model of that family
can use it with ``--set loss=NAME``, without being touched.
"""

from __future__ import annotations

from typing import ClassVar

import torch

from gensynth._errors import GensynthError
from gensynth._discovery.registry import Registry, get_registry


class Loss:
    """Base class of registered losses; ``family`` names the protocol it follows."""

    family: ClassVar[str] = ""


class GANLoss(Loss):
    """What GAN models call: a discriminator loss on real and fake logits and a generator loss.

    ``gradient_penalty`` is the weight of the gradient penalty the loss is meant to be
    used with (WGAN-GP's 10); models apply it unless their config sets ``gp_weight``.
    """

    family = "gan"
    gradient_penalty: ClassVar[float] = 0.0

    def discriminator(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def generator(self, fake_logits: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def build_loss(name: str, family: str, registry: Registry | None = None) -> Loss:
    """Instantiate the registered loss ``name`` (an id or a unique short name) for ``family``."""
    registry = registry or get_registry()
    options = ", ".join(s.name for s in registry.all("losses") if s.family == family)
    spec = registry.resolve_setting("losses", name, "loss", f"{family} models take one of: {options}")
    if spec.family != family:
        raise GensynthError(f"loss {spec.id} is for {spec.family} models, not {family}; use one of: {options}")
    return spec.load_subclass(Loss)()
