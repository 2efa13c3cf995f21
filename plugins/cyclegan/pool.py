"""The image pool of Shrivastava et al. (2017), as the reference CycleGAN uses it.

The discriminators are trained on a mix of the newest fakes and fakes from
earlier iterations, which damps oscillation. Its randomness comes from torch's
global generator, which the Trainer saves and restores, so resume is exact.
"""

from __future__ import annotations

import torch


class ImagePool:
    """Up to ``size`` past generated images."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.images: list[torch.Tensor] = []

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """A batch to train on, one image per input image (detached).

        While the pool fills, every image is stored and returned. Then each image
        is, with probability 1/2, returned as is, or stored in place of a random
        pooled image, which is returned instead.
        """
        images = images.detach()
        if self.size == 0:
            return images
        out = []
        for image in images:
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif torch.rand(()).item() > 0.5:
                slot = int(torch.randint(self.size, ()))
                out.append(self.images[slot])
                self.images[slot] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)

    def state(self) -> torch.Tensor:
        """The pooled images as one tensor (N, C, H, W); N = 0 while empty."""
        return torch.stack(self.images) if self.images else torch.empty(0)

    def load_state(self, images: torch.Tensor, device: torch.device) -> None:
        self.images = list(images.to(device).unbind()) if images.numel() else []
