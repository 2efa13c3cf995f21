"""SNGAN (Miyato, Kataoka, Koyama & Yoshida 2018): residual generator and discriminator, spectral norm, hinge loss.

The generator maps z through a linear layer to a ``base x base`` map, doubles it in residual blocks with
BatchNorm (:mod:`gensynth.plugins.gan.resnet`), and ends with BatchNorm, ReLU, a 3x3 convolution and tanh.
The discriminator's residual blocks halve the image down to ``base x base``; its ReLU features, summed over
space, go to a linear output. Spectral normalisation of every discriminator layer (``spectral_norm``),
optionally of the generator's too (``g_spectral_norm``, as in SAGAN and BigGAN), and an optional SAGAN
self-attention block in both networks at ``attention`` pixels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gensynth import GensynthError
from gensynth.plugins.gan.base import GAN
from gensynth.plugins.gan.config import SNGANConfig
from gensynth.plugins.gan.regularisers import add_spectral_norm
from gensynth.plugins.gan.resnet import (
    attention_sizes, discriminator_blocks, discriminator_widths, generator_blocks, generator_widths, init_weights,
    layout,
)


class ResNetGenerator(nn.Module):
    """``z -> images`` in [-1, 1]."""

    def __init__(self, latent_dim: int, width: int, channels: int, image_size: int, attention_at: int) -> None:
        super().__init__()
        self.base, levels = layout(image_size)
        widths = generator_widths(width, levels)
        self.project = nn.Linear(latent_dim, widths[0] * self.base ** 2)
        self.blocks = generator_blocks(width, image_size, lambda features, block: nn.BatchNorm2d(features), attention_at)
        self.out = nn.Sequential(nn.BatchNorm2d(widths[-1]), nn.ReLU(), nn.Conv2d(widths[-1], channels, 3, padding=1),
                                 nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.out(self.blocks(self.project(z).view(len(z), -1, self.base, self.base)))


class ResNetDiscriminator(nn.Module):
    """``images -> (N, 1)`` logits; :meth:`features` is the pooled feature vector h."""

    def __init__(self, channels: int, width: int, image_size: int, attention_at: int) -> None:
        super().__init__()
        _, levels = layout(image_size)
        self.blocks = discriminator_blocks(channels, width, image_size, attention_at)
        self.linear = nn.Linear(discriminator_widths(width, levels)[-1], 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.blocks(x)).sum(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.features(x))


def check_network_fields(config: SNGANConfig) -> None:
    """One-line errors for an image size or attention resolution the networks cannot take."""
    try:
        layout(config.image_size)
    except ValueError as exc:
        raise GensynthError(str(exc)) from None
    sizes = attention_sizes(config.image_size)
    if config.attention and config.attention not in sizes:
        raise GensynthError(f"attention={config.attention} is not a resolution inside both networks at "
                            f"{config.image_size} px; use 0 (none) or one of {', '.join(map(str, sizes))}")


def finish_networks(config: SNGANConfig, gen: nn.Module, disc: nn.Module) -> None:
    """Initialise both networks as the SNGAN code does; spectral norm on the generator when asked
    (the discriminator's comes from the GAN base). An embedding is a class lookup, not a layer to normalise."""
    gen.apply(init_weights)
    disc.apply(init_weights)
    if config.g_spectral_norm:
        add_spectral_norm(gen, layers=(nn.Conv2d, nn.Linear))


class SNGAN(GAN):
    config: SNGANConfig

    def __init__(self, config: SNGANConfig) -> None:
        check_network_fields(config)
        gen = ResNetGenerator(config.latent_dim, config.g_width, config.channels, config.image_size, config.attention)
        disc = ResNetDiscriminator(config.channels, config.d_width, config.image_size, config.attention)
        finish_networks(config, gen, disc)
        super().__init__(config, gen=gen, disc=disc)
