"""Class-conditional DCGAN: a class embedding and conditional BatchNorm in the generator, a projection discriminator.

The generator is DCGAN's with the one-hot class joined to z at its input (as
in the conditional GAN of Mirza & Osindero 2014) and every BatchNorm
replaced by conditional BatchNorm (de Vries et al. 2017; Miyato & Koyama 2018):
normalise without affine parameters, then scale and shift by per-class embeddings. The discriminator is
DCGAN's convolutional trunk, sum-pooled to a feature vector ``h``, with the
projection output (Miyato & Koyama 2018) ``linear(h) + <embed(y), h>``.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from gensynth import Batch, check_data_classes, class_rows
from gensynth.plugins.gan.base import GAN
from gensynth.plugins.gan.config import CDCGANConfig
from gensynth.plugins.gan.dcgan import discriminator_features, generator_widths, init_weights, layout


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm whose scale and shift are looked up by class; initialised like DCGAN's BatchNorm
    (scale N(1, 0.02), shift 0), so classes differ from the first step."""

    def __init__(self, features: int, num_classes: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(features, affine=False)
        self.scale = nn.Embedding(num_classes, features)
        self.shift = nn.Embedding(num_classes, features)
        nn.init.normal_(self.scale.weight, 1.0, 0.02)
        nn.init.zeros_(self.shift.weight)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.norm(x) * self.scale(labels)[:, :, None, None] + self.shift(labels)[:, :, None, None]


class ConditionalGenerator(nn.Module):
    """DCGAN's generator conditioned twice: the one-hot class joined to z at its input, and conditional
    BatchNorm after every hidden layer: ``(z, labels) -> images`` in [-1, 1]."""

    def __init__(self, latent_dim: int, width: int, channels: int, base: int, doublings: int, num_classes: int) -> None:
        super().__init__()
        widths = generator_widths(width, doublings)
        self.num_classes = num_classes
        self.convs = nn.ModuleList([nn.ConvTranspose2d(latent_dim + num_classes, widths[0], base, 1, 0, bias=False)])
        self.convs.extend(nn.ConvTranspose2d(w_in, w_out, 4, 2, 1, bias=False) for w_in, w_out in zip(widths, widths[1:]))
        self.norms = nn.ModuleList(ConditionalBatchNorm2d(w, num_classes) for w in widths)
        self.out = nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1, bias=False)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = torch.cat([z, F.one_hot(labels, self.num_classes).to(z.dtype)], dim=1)[:, :, None, None]
        for conv, norm in zip(self.convs, self.norms):
            h = torch.relu(norm(conv(h), labels))
        return torch.tanh(self.out(h))


class ProjectionDiscriminator(nn.Module):
    """DCGAN's convolutional trunk with a projection output: ``(x, labels) -> (N, 1)`` logits."""

    def __init__(self, channels: int, width: int, doublings: int, num_classes: int, batch_norm: bool) -> None:
        super().__init__()
        features = width * 2 ** (doublings - 1)
        self.features = discriminator_features(channels, width, doublings, batch_norm)
        self.linear = nn.Linear(features, 1)
        self.embed = nn.Embedding(num_classes, features)
        nn.init.xavier_uniform_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)
        nn.init.xavier_uniform_(self.embed.weight)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.features(x).sum(dim=(2, 3))
        return self.linear(h) + (self.embed(labels) * h).sum(dim=1, keepdim=True)


class CDCGAN(GAN):
    config: CDCGANConfig

    def __init__(self, config: CDCGANConfig) -> None:
        base, doublings = layout(config)
        gen = ConditionalGenerator(config.latent_dim, config.g_width, config.channels, base, doublings, config.num_classes)
        disc = ProjectionDiscriminator(config.channels, config.d_width, doublings, config.num_classes,
                                       batch_norm=config.d_batch_norm)
        gen.apply(init_weights)
        disc.features.apply(init_weights)
        super().__init__(config, gen=gen, disc=disc)

    def bind_data(self, info: Mapping[str, Any]) -> None:
        check_data_classes(info, self.num_classes)

    def previews(self, batch: Batch, n: int, seed: int) -> dict[str, torch.Tensor]:
        """One picture with a row of 8 fixed-seed samples per class (up to 16 classes)."""
        return {"samples": class_rows(self, min(self.num_classes, 16), 8, seed)}
