"""pix2pix's U-Net generator (Isola et al. 2017), as the reference's ``UnetGenerator`` builds it.

An encoder of 4x4 stride-2 convolutions halves the image ``n_downs`` times, with
feature maps ``ngf, 2 ngf, 4 ngf, 8 ngf, 8 ngf, ...``; a decoder of 4x4 stride-2
transposed convolutions doubles it back, each level taking the encoder's map of
the same size beside its own (the skip connections). Encoder layers are
LeakyReLU(0.2)-conv-norm (no norm on the first and the innermost), decoder layers
ReLU-deconv-norm (tanh instead of norm on the last); the decoder levels between
the fourth and the innermost (the reference's three extra 8-ngf blocks at 256 px)
apply dropout 0.5 when asked.
"""

from __future__ import annotations

import torch
from torch import nn

from gensynth.plugins.cyclegan.networks import norm


class SkipLevel(nn.Module):
    """One level of the U-Net: ``down``, the levels inside it, ``up``; its output is its input beside ``up``'s
    (the outermost level returns ``up``'s output alone)."""

    def __init__(self, down: nn.Sequential, inner: nn.Module | None, up: nn.Sequential, outermost: bool) -> None:
        super().__init__()
        self.down, self.inner, self.up, self.outermost = down, inner, up, outermost

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.down(x)
        if self.inner is not None:
            y = self.inner(y)
        y = self.up(y)
        return y if self.outermost else torch.cat([x, y], dim=1)


def unet_generator(in_channels: int, out_channels: int, ngf: int, n_downs: int, norm_kind: str = "batch",
                   dropout: bool = True) -> SkipLevel:
    """The U-Net from ``in_channels`` to ``out_channels`` images whose side is a multiple of ``2 ** n_downs``."""
    if n_downs < 1:
        raise ValueError(f"a U-Net needs at least one down-sampling step, got {n_downs}")
    widths = [ngf * min(2 ** level, 8) for level in range(n_downs)]
    bias = norm_kind == "instance"
    block: SkipLevel | None = None
    for level in reversed(range(n_downs)):
        outermost, innermost = level == 0, level == n_downs - 1
        inside = widths[level]
        outside = out_channels if outermost else widths[level - 1]
        source = in_channels if outermost else widths[level - 1]
        down: list[nn.Module] = [] if outermost else [nn.LeakyReLU(0.2, True)]
        down.append(nn.Conv2d(source, inside, 4, stride=2, padding=1, bias=bias))  # as the reference, even outermost
        if not (outermost or innermost):
            down.append(norm(inside, norm_kind))
        width_in = inside if innermost else 2 * inside
        up: list[nn.Module] = [nn.ReLU(True), nn.ConvTranspose2d(width_in, outside, 4, stride=2, padding=1,
                                                                  bias=bias or outermost)]
        up += [nn.Tanh()] if outermost else [norm(outside, norm_kind)]
        if dropout and 4 <= level < n_downs - 1:
            up.append(nn.Dropout(0.5))
        block = SkipLevel(nn.Sequential(*down), block, nn.Sequential(*up), outermost)
    assert block is not None
    return block
