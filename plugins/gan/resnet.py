"""The residual networks of SNGAN (Miyato et al. 2018) and BigGAN (Brock et al. 2019), with SAGAN's attention.

Generator block: ``norm - ReLU - 2x nearest upsampling - 3x3 conv - norm - ReLU - 3x3 conv``, plus the
upsampled input through a 1x1 convolution. Discriminator block: ``ReLU - 3x3 conv - ReLU - 3x3 conv -
2x2 average pooling``, plus the input through a 1x1 convolution and the pooling; the first block ("optimized"
in the SNGAN code) starts with the convolution, since its input is the image. Both shortcuts apply their
1x1 convolution at the lower resolution, which is the same function as the SNGAN code's order (nearest
upsampling and average pooling commute with it) at a quarter of its cost. A norm is a BatchNorm, or a
conditional BatchNorm called with the block's condition.

The layout: the generator starts from a ``base x base`` map (7 for 28 px, 4 otherwise) and doubles it in
each block; its block outputs have ``width * 2^k`` feature maps, ``k`` counting down to 0 at the last block.
The discriminator halves the image in each block down to ``base x base``, starting at ``width`` feature maps
and doubling, then adds one block at that size that keeps it, and sums its ReLU features over space.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

#: image size -> (side of the generator's first map and of the discriminator's last, number of resolution steps)
LAYOUTS = {28: (7, 2), 32: (4, 3), 64: (4, 4), 128: (4, 5)}

#: A norm layer for ``features`` maps: BatchNorm, or a conditional one called as ``norm(x, condition)``.
NormFactory = Callable[[int], nn.Module]
#: ``(features, block index) -> norm``: the norms of each generator block.
BlockNorms = Callable[[int, int], nn.Module]


def layout(image_size: int) -> tuple[int, int]:
    """``(base, levels)`` for a supported image size, or a ValueError."""
    if image_size not in LAYOUTS:
        raise ValueError(f"the ResNet GANs support image sizes {sorted(LAYOUTS)}, got {image_size}")
    return LAYOUTS[image_size]


def attention_sizes(image_size: int) -> list[int]:
    """Resolutions where both networks can hold a self-attention block: between base and the image size."""
    base, levels = layout(image_size)
    return [base * 2 ** k for k in range(1, levels)]


def generator_widths(width: int, levels: int) -> list[int]:
    """Feature maps of the first map and of each generator block's output, coarsest first: e.g. [4w, 4w, 2w, w]."""
    return [width * 2 ** (levels - 1)] + [width * 2 ** k for k in reversed(range(levels))]


def discriminator_widths(width: int, levels: int) -> list[int]:
    """Feature maps of each discriminator block's output, finest first, the last block's repeated: [w, 2w, 4w, 4w]."""
    widths = [width * 2 ** k for k in range(levels)]
    return widths + widths[-1:]


def upsample(x: torch.Tensor) -> torch.Tensor:
    """2x nearest-neighbour upsampling; the same values as ``F.interpolate(x, scale_factor=2)``, about twice
    as fast on CPU (a broadcast view reshaped, no interpolation kernel)."""
    n, c, h, w = x.shape
    return x[:, :, :, None, :, None].expand(n, c, h, 2, w, 2).reshape(n, c, 2 * h, 2 * w)


def _norm(norm: nn.Module, x: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
    return norm(x) if condition is None else norm(x, condition)


class GeneratorBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, norm: NormFactory) -> None:
        super().__init__()
        self.norm1, self.norm2 = norm(c_in), norm(c_out)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        h = upsample(F.relu(_norm(self.norm1, x, condition)))
        h = self.conv2(F.relu(_norm(self.norm2, self.conv1(h), condition)))
        return h + upsample(self.skip(x))  # = skip(upsample(x)), a 1x1 convolution at a quarter of the cost


class DiscriminatorBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, down: bool, first: bool = False) -> None:
        super().__init__()
        self.first, self.down = first, down
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if (down or c_in != c_out) else None

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 2) if self.down else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(x if self.first else F.relu(x))
        h = self._pool(self.conv2(F.relu(h)))
        # Pooling before the 1x1 convolution equals pooling after it (both are linear), at a quarter of the cost.
        shortcut = self._pool(x)
        return h + (shortcut if self.skip is None else self.skip(shortcut))


class SelfAttention(nn.Module):
    """SAGAN's self-attention (Zhang et al. 2019), as in BigGAN: queries from every position, keys and values
    from a 2x2 max-pooled map, the output scaled by a learned ``gamma`` that starts at 0."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.query = nn.Conv2d(channels, max(channels // 8, 1), 1, bias=False)
        self.key = nn.Conv2d(channels, max(channels // 8, 1), 1, bias=False)
        self.value = nn.Conv2d(channels, max(channels // 2, 1), 1, bias=False)
        self.out = nn.Conv2d(max(channels // 2, 1), channels, 1, bias=False)
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        n, _, height, width = x.shape
        query = self.query(x).flatten(2)  # (n, c/8, hw)
        key = F.max_pool2d(self.key(x), 2).flatten(2)  # (n, c/8, hw/4)
        value = F.max_pool2d(self.value(x), 2).flatten(2)  # (n, c/2, hw/4)
        weights = torch.softmax(query.transpose(1, 2) @ key, dim=-1)  # (n, hw, hw/4)
        attended = (value @ weights.transpose(1, 2)).view(n, -1, height, width)
        return x + self.gamma * self.out(attended)


class BlockStack(nn.Module):
    """Blocks with an optional self-attention block after the one whose output has ``attention_at`` pixels a side."""

    def __init__(self, blocks: list[nn.Module], sizes: list[int], widths: list[int], attention_at: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for block, size, width in zip(blocks, sizes, widths):
            layers.append(block)
            if size == attention_at:
                layers.append(SelfAttention(width))
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor, conditions: list[torch.Tensor] | None = None) -> torch.Tensor:
        """``conditions``: one per generator block (attention blocks take none), or None."""
        remaining = iter(conditions or [])
        for layer in self.layers:
            x = layer(x) if isinstance(layer, SelfAttention) or conditions is None else layer(x, next(remaining))
        return x


def generator_blocks(width: int, image_size: int, norms: BlockNorms, attention_at: int) -> BlockStack:
    base, levels = layout(image_size)
    widths = generator_widths(width, levels)
    blocks = [GeneratorBlock(c_in, c_out, lambda features, k=k: norms(features, k))
              for k, (c_in, c_out) in enumerate(zip(widths, widths[1:]))]
    return BlockStack(blocks, [base * 2 ** (k + 1) for k in range(levels)], widths[1:], attention_at)


def discriminator_blocks(channels: int, width: int, image_size: int, attention_at: int) -> BlockStack:
    base, levels = layout(image_size)
    widths = discriminator_widths(width, levels)
    blocks = [DiscriminatorBlock(c_in, c_out, down=k < levels, first=k == 0)
              for k, (c_in, c_out) in enumerate(zip([channels] + widths, widths))]
    sizes = [image_size // 2 ** (k + 1) for k in range(levels)] + [base]
    return BlockStack(blocks, sizes, widths, attention_at)


def init_weights(module: nn.Module) -> None:
    """The SNGAN code's initialisation, for ``network.apply``: Xavier-uniform with gain sqrt(2) for the 3x3
    convolutions of the residual branches, gain 1 for every other convolution and linear layer; zero biases."""
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    if isinstance(module, (GeneratorBlock, DiscriminatorBlock)):  # applied after its children
        for conv in (module.conv1, module.conv2):
            nn.init.xavier_uniform_(conv.weight, math.sqrt(2))
