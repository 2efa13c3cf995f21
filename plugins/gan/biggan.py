"""A class-conditional residual GAN in the BigGAN style (Brock, Donahue & Simonyan 2019).

Generator: SNGAN's residual blocks (:mod:`gensynth.plugins.gan.resnet`) whose BatchNorms are conditional:
a shared class embedding ``e(y)``, joined (with ``hierarchical``) to the block's own chunk of z, gives each
norm its per-example scale ``1 + W_gain c`` and shift ``W_bias c``. With ``hierarchical`` z is split into
one chunk for the first linear layer and one per block (BigGAN's "skip-z"). Discriminator: SNGAN's, with
the projection output ``linear(h) + <embed(y), h>`` (Miyato & Koyama 2018). Spectral norm on both networks
by default, hinge loss, optional self-attention, generator EMA: BigGAN's ingredients at any width. Not
included: orthogonal regularisation and BigGAN's large-batch settings.
"""

from __future__ import annotations

import torch
from torch import nn

from gensynth import GensynthError
from gensynth.plugins.gan.base import GAN
from gensynth.plugins.gan.config import BigGANConfig
from gensynth.plugins.gan.resnet import generator_blocks, generator_widths, layout
from gensynth.plugins.gan.sngan import ResNetDiscriminator, check_network_fields, finish_networks


class ClassConditionalBatchNorm2d(nn.Module):
    """BatchNorm without affine parameters, then scale ``1 + W_gain c`` and shift ``W_bias c`` from the condition c."""

    def __init__(self, features: int, condition_dim: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(features, affine=False)
        self.gain = nn.Linear(condition_dim, features, bias=False)
        self.bias = nn.Linear(condition_dim, features, bias=False)

    def forward(self, x: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        return self.norm(x) * (1 + self.gain(condition))[:, :, None, None] + self.bias(condition)[:, :, None, None]


class BigGANGenerator(nn.Module):
    """``(z, labels) -> images`` in [-1, 1]."""

    def __init__(self, config: BigGANConfig) -> None:
        super().__init__()
        c = config
        self.base, self.levels = layout(c.image_size)
        widths = generator_widths(c.g_width, self.levels)
        self.chunks = self.levels + 1 if c.hierarchical else 1
        chunk_sizes = [len(part) for part in torch.arange(c.latent_dim).tensor_split(self.chunks)]
        block_chunks = chunk_sizes[1:] if c.hierarchical else [0] * self.levels
        self.embed = nn.Embedding(c.num_classes, c.embed_dim)
        self.project = nn.Linear(chunk_sizes[0], widths[0] * self.base ** 2)
        self.blocks = generator_blocks(
            c.g_width, c.image_size,
            lambda features, block: ClassConditionalBatchNorm2d(features, c.embed_dim + block_chunks[block]),
            c.attention)
        self.out = nn.Sequential(nn.BatchNorm2d(widths[-1]), nn.ReLU(), nn.Conv2d(widths[-1], c.channels, 3, padding=1),
                                 nn.Tanh())

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Both norms of block k take the condition [e(y), z_(k+1)] (``hierarchical``) or e(y)."""
        parts = z.tensor_split(self.chunks, dim=1)
        embedding = self.embed(labels)
        if self.chunks > 1:
            conditions = [torch.cat([embedding, part], dim=1) for part in parts[1:]]
        else:
            conditions = [embedding] * self.levels
        h = self.project(parts[0]).view(len(z), -1, self.base, self.base)
        return self.out(self.blocks(h, conditions))


class ProjectionDiscriminator(ResNetDiscriminator):
    """SNGAN's discriminator with the projection output: ``(x, labels) -> (N, 1)`` logits."""

    def __init__(self, config: BigGANConfig) -> None:
        super().__init__(config.channels, config.d_width, config.image_size, config.attention)
        self.embed = nn.Embedding(config.num_classes, self.linear.in_features)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.features(x)
        return self.linear(h) + (self.embed(labels) * h).sum(dim=1, keepdim=True)


class BigGAN(GAN):
    config: BigGANConfig

    def __init__(self, config: BigGANConfig) -> None:
        check_network_fields(config)
        _, levels = layout(config.image_size)
        if config.hierarchical and config.latent_dim < levels + 1:
            raise GensynthError(f"with hierarchical=true z is split into {levels + 1} chunks at {config.image_size} px; "
                                f"set latent_dim to at least {levels + 1}")
        gen, disc = BigGANGenerator(config), ProjectionDiscriminator(config)
        finish_networks(config, gen, disc)
        nn.init.xavier_uniform_(disc.embed.weight)
        super().__init__(config, gen=gen, disc=disc)
