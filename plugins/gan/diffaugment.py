"""DiffAugment (Zhao, Liu, Lin, Zhu & Han 2020): the same random, differentiable transformations applied to
real and generated images before the discriminator, at every discriminator pass.

The policy's operations, each with its own draw per image (images in [-1, 1]):

- ``color``: brightness ``x + (u - 0.5)``, then saturation ``(x - mean_c) * 2u + mean_c`` (the mean over
  channels; no effect on grey images), then contrast ``(x - mean) * (u + 0.5) + mean`` (the image's mean),
  each ``u ~ U(0, 1)``;
- ``translation``: an integer shift of up to 1/8 of the image side in each direction, uniformly, with zeros
  coming in;
- ``cutout``: a square of half the image side set to zero, centred uniformly.

With ``p`` below 1 each operation transforms each image with probability ``p`` (the paper's is 1).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gensynth import Augmentation
from gensynth.plugins.gan.augment_ops import cutout, gate, parse_policy

OPERATIONS = ("color", "translation", "cutout")
DEFAULT_POLICY = "color,translation,cutout"
#: Largest translation, as a fraction of the image side.
TRANSLATION = 0.125


class DiffAugment(Augmentation):
    def __init__(self, policy: str = "", p: float | None = None) -> None:
        super().__init__()
        self.operations = parse_policy(policy, "diffaugment", OPERATIONS, {}, DEFAULT_POLICY)
        self.p = 1.0 if p is None else float(p)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.p == 0:
            return images
        for operation in self.operations:
            chosen = gate(self.p, images.shape[0], images.device)
            images = getattr(self, f"_{operation}")(images, chosen)
        return images

    def extra_repr(self) -> str:
        return f"policy={','.join(self.operations)}, p={self.p:g}"

    @staticmethod
    def _color(x: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        keep = ~chosen[:, None, None, None]
        out = x + (torch.rand(n, 1, 1, 1, device=x.device, dtype=x.dtype) - 0.5)
        mean = out.mean(dim=1, keepdim=True)
        out = (out - mean) * (2 * torch.rand(n, 1, 1, 1, device=x.device, dtype=x.dtype)) + mean
        mean = out.mean(dim=(1, 2, 3), keepdim=True)
        out = (out - mean) * (torch.rand(n, 1, 1, 1, device=x.device, dtype=x.dtype) + 0.5) + mean
        return torch.where(keep, x, out)

    @staticmethod
    def _translation(x: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
        n, _, height, width = x.shape
        reach = [int(side * TRANSLATION + 0.5) for side in (height, width)]
        shifts = [torch.randint(-r, r + 1, (n,), device=x.device) * chosen for r in reach]
        # Gather each output pixel from its shifted source in a zero-padded copy (index 0 and side + 1 are zeros).
        rows = (torch.arange(height, device=x.device)[None, :] - shifts[0][:, None] + 1).clamp(0, height + 1)
        cols = (torch.arange(width, device=x.device)[None, :] - shifts[1][:, None] + 1).clamp(0, width + 1)
        padded = F.pad(x, (1, 1, 1, 1))
        batch = torch.arange(n, device=x.device)[:, None, None]
        return padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)

    @staticmethod
    def _cutout(x: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
        return cutout(x, chosen)
