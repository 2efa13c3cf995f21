"""The reference networks: CycleGAN's ResNet generator and the PatchGAN discriminator both models use.

They follow junyanz/pytorch-CycleGAN-and-pix2pix: instance normalisation (no
affine parameters, no running statistics) with biases in the convolutions that
precede it, or batch normalisation (pix2pix's default) without those biases.
"""

from __future__ import annotations

import torch
from torch import nn

from gensynth import GensynthError

def norm(channels: int, kind: str = "instance") -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)


class ResnetBlock(nn.Module):
    """``x + conv-norm-relu-conv-norm(x)`` with reflection padding."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), norm(channels), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), norm(channels),
        )

    def forward(self, x):
        return x + self.body(x)


def resnet_generator(in_channels: int, out_channels: int, ngf: int, n_blocks: int) -> nn.Sequential:
    """c7s1-ngf, d-2ngf, d-4ngf, ``n_blocks`` residual blocks at 4ngf, u-2ngf, u-ngf, c7s1-out, tanh.

    The two stride-2 steps halve the image twice, so its side must be a multiple of 4.
    """
    layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, ngf, 7), norm(ngf), nn.ReLU(True)]
    for width in (ngf, 2 * ngf):
        layers += [nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), norm(2 * width), nn.ReLU(True)]
    layers += [ResnetBlock(4 * ngf) for _ in range(n_blocks)]
    for width in (4 * ngf, 2 * ngf):
        layers += [nn.ConvTranspose2d(width, width // 2, 3, stride=2, padding=1, output_padding=1),
                   norm(width // 2), nn.ReLU(True)]
    layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_channels, 7), nn.Tanh()]
    return nn.Sequential(*layers)


def patch_discriminator(in_channels: int, ndf: int, d_layers: int, norm_kind: str = "instance") -> nn.Sequential:
    """``d_layers`` 4x4 stride-2 convolutions (feature maps doubling up to 8 ndf), one 4x4 stride-1, then a
    4x4 stride-1 convolution to one logit per patch (see ``config.receptive_field``); no norm on the first layer.

    pix2pix's discriminator is this one on the input and the output stacked as channels.
    """
    widths = [ndf * min(2 ** i, 8) for i in range(d_layers + 1)]
    bias = norm_kind == "instance"
    layers: list[nn.Module] = [nn.Conv2d(in_channels, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
    for i in range(1, d_layers + 1):
        stride = 2 if i < d_layers else 1
        layers += [nn.Conv2d(widths[i - 1], widths[i], 4, stride=stride, padding=1, bias=bias),
                   norm(widths[i], norm_kind), nn.LeakyReLU(0.2, True)]
    layers += [nn.Conv2d(widths[-1], 1, 4, stride=1, padding=1)]
    return nn.Sequential(*layers)


def init_weights(module: nn.Module, gain: float) -> None:
    """The reference's ``normal`` initialisation: convolution weights N(0, gain), batch-norm scales
    N(1, gain), biases 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, gain)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, gain)
        nn.init.zeros_(module.bias)


def check_input(x: torch.Tensor, direction: str, directions: tuple[str, ...], channels: int, multiple: int) -> None:
    """Raise a GensynthError unless ``direction`` is known and ``x`` is (N, channels, H, W) with H and W
    multiples of ``multiple`` (what the generator's down-sampling needs)."""
    if direction not in directions:
        raise GensynthError(f"unknown direction {direction!r}: use {' or '.join(directions)}")
    if x.dim() != 4 or x.shape[1] != channels or x.shape[-1] % multiple or x.shape[-2] % multiple:
        raise GensynthError(f"{direction} translates domain {direction[0].upper()} images shaped (N, {channels}, H, W) "
                            f"with H and W multiples of {multiple}, got {tuple(x.shape)}")
