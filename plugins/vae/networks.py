"""Convolutional encoder and decoder of the VAE models, for 28, 32 and 64 px images.

The encoder halves the resolution with stride-2 4x4 convolutions down to a
``base x base`` map (7 for 28 px, 4 otherwise), doubling the feature maps from
``width`` at each level, and a linear head gives the posterior mean and
log-variance. The decoder mirrors it with stride-2 transposed convolutions.
With ``blocks`` > 0 (the residual network), the coarsest level also has that
many residual blocks (:class:`ResidualBlock`: a 3x3 and a 1x1 convolution added
to their input, as in the VQ-VAE of van den Oord et al. 2017), in the encoder
after its last downsampling and in the decoder before its first upsampling.
Only there: at 28 px a block at 7x7 costs a quarter of one at 14x14, and on
MNIST it gained as much (see ``benchmarks/RESULTS.md``).

No normalisation layers: each image's code depends on that image alone, so
likelihood estimates do not depend on the batch. The convolution weights are
stored channels-last, the layout in which oneDNN's CPU (transposed)
convolutions run fastest (a training step about 15% faster at 28 px). A
condition vector (a class one-hot for the conditional VAE) joins the encoder's
features before its head and the code before the decoder.
"""

from __future__ import annotations

import torch
from torch import nn

#: image size -> (size of the coarsest map, number of stride-2 levels)
LAYOUTS = {28: (7, 2), 32: (4, 3), 64: (4, 4)}


def activation() -> nn.Module:
    return nn.LeakyReLU(0.2)


def level_widths(width: int, levels: int) -> list[int]:
    """Feature maps at each level, finest first: ``[w, 2w, 4w, ...]``."""
    return [width * 2 ** i for i in range(levels)]


class ResidualBlock(nn.Module):
    """``x + conv1x1(act(conv3x3(act(x))))``: a residual refinement at one resolution, channels unchanged."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(activation(), nn.Conv2d(channels, channels, 3, 1, 1), activation(),
                                  nn.Conv2d(channels, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def residual_blocks(channels: int, count: int) -> list[nn.Module]:
    return [ResidualBlock(channels) for _ in range(count)]


class Encoder(nn.Module):
    """Images (N, C, S, S) and an optional condition (N, K) -> posterior mean and log-variance (N, D) each."""

    def __init__(self, channels: int, image_size: int, width: int, latent_dim: int, condition_dim: int = 0,
                 blocks: int = 0) -> None:
        super().__init__()
        base, levels = LAYOUTS[image_size]
        widths = level_widths(width, levels)
        layers: list[nn.Module] = []
        for w_in, w_out in zip([channels, *widths], widths):
            layers.append(nn.Conv2d(w_in, w_out, 4, 2, 1))
            if w_out == widths[-1]:
                layers += residual_blocks(w_out, blocks)
            layers.append(activation())
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Linear(widths[-1] * base * base + condition_dim, 2 * latent_dim)
        self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(x)
        if condition is not None:
            h = torch.cat([h, condition], dim=1)
        mean, log_var = self.head(h).chunk(2, dim=1)
        return mean, log_var


class Decoder(nn.Module):
    """Codes (N, D) and an optional condition (N, K) -> likelihood parameters (N, C, S, S), one per pixel."""

    def __init__(self, channels: int, image_size: int, width: int, latent_dim: int, condition_dim: int = 0,
                 blocks: int = 0) -> None:
        super().__init__()
        base, levels = LAYOUTS[image_size]
        widths = level_widths(width, levels)[::-1]  # coarsest first
        self.project = nn.Sequential(
            nn.Linear(latent_dim + condition_dim, widths[0] * base * base),
            activation(),
            nn.Unflatten(1, (widths[0], base, base)),
        )
        layers: list[nn.Module] = residual_blocks(widths[0], blocks)
        for w_in, w_out in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(w_in, w_out, 4, 2, 1), activation()]
        layers.append(nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1))
        self.upsample = nn.Sequential(*layers)
        self.to(memory_format=torch.channels_last)

    def forward(self, z: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        if condition is not None:
            z = torch.cat([z, condition], dim=1)
        return self.upsample(self.project(z))


class CodeEncoder(nn.Module):
    """The VQ-VAE's encoder: images (N, C, S, S) -> maps (N, D, S/4, S/4) of vectors to quantise.

    Two stride-2 4x4 convolutions (``width`` then ``2 * width`` feature maps), ``blocks``
    residual blocks at a quarter of the resolution, and a 1x1 convolution to ``code_dim``.
    """

    def __init__(self, channels: int, width: int, code_dim: int, blocks: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1), activation(), nn.Conv2d(width, 2 * width, 4, 2, 1),
            *residual_blocks(2 * width, blocks), activation(), nn.Conv2d(2 * width, code_dim, 1),
        )
        self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class CodeDecoder(nn.Module):
    """The VQ-VAE's decoder, the encoder mirrored: code maps (N, D, S/4, S/4) -> likelihood parameters (N, C, S, S)."""

    def __init__(self, channels: int, width: int, code_dim: int, blocks: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(code_dim, 2 * width, 3, 1, 1), *residual_blocks(2 * width, blocks), activation(),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), activation(), nn.ConvTranspose2d(width, channels, 4, 2, 1),
        )
        self.to(memory_format=torch.channels_last)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.layers(z)
