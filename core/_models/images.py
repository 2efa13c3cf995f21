"""Writing images: sample grids and individual PNGs (atomic), and point clouds as pictures."""

from __future__ import annotations

import io
import math
from pathlib import Path

import torch
from PIL import Image
from torchvision.utils import make_grid

from gensynth._training.atomic import write_bytes_atomic


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] floats (N, C, H, W) to uint8 (N, C, H, W)."""
    return ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def grid(images: torch.Tensor, nrow: int | None = None, padding: int = 2) -> torch.Tensor:
    """One (C, H, W) float image in [0, 1] tiling ``images`` ([-1, 1])."""
    nrow = nrow or max(1, int(math.ceil(math.sqrt(images.shape[0]))))
    return make_grid(images.detach().float().cpu().clamp(-1, 1) * 0.5 + 0.5, nrow=nrow, padding=padding, pad_value=1.0)


def _png_bytes(image01: torch.Tensor) -> bytes:
    array = (image01.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    mode = "L" if array.shape[2] == 1 else "RGB"
    buffer = io.BytesIO()
    Image.fromarray(array[:, :, 0] if mode == "L" else array, mode=mode).save(buffer, format="PNG")
    return buffer.getvalue()


def save_grid(images: torch.Tensor, path: str | Path, nrow: int | None = None) -> Path:
    path = Path(path)
    write_bytes_atomic(path, _png_bytes(grid(images, nrow)))
    return path


def save_image(image: torch.Tensor, path: str | Path) -> Path:
    """One image (C, H, W) in [-1, 1] as a PNG (grey or RGB), written atomically."""
    path = Path(path)
    write_bytes_atomic(path, _png_bytes(image.detach().float().cpu().clamp(-1, 1) * 0.5 + 0.5))
    return path


def save_each(images: torch.Tensor, out_dir: str | Path, prefix: str = "sample", start: int = 0) -> list[Path]:
    """One PNG per image, numbered from ``start``: ``sample-00000.png``, ..."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [save_image(image, out_dir / f"{prefix}-{i:05d}.png") for i, image in enumerate(images, start)]


def as_images(samples: torch.Tensor) -> torch.Tensor:
    """Images unchanged; 2D points (N, D) drawn as one scatter picture."""
    if samples.dim() == 2:
        extent = float(samples[:, :2].abs().max()) * 1.1 if samples.numel() else 1.0
        return render_points(samples, extent=extent or 1.0)
    return samples


def render_points(points: torch.Tensor, extent: float, size: int = 256) -> torch.Tensor:
    """A (1, 1, size, size) picture in [-1, 1] of 2D points (dark dots on white)."""
    pts = points.detach().float().cpu()[:, :2]
    hist = torch.histogramdd(pts, bins=[size, size], range=[-extent, extent, -extent, extent]).hist
    image = 1.0 - 2.0 * (hist.t().flip(0) > 0).float()
    return image[None, None]


def side_by_side(*images: torch.Tensor) -> torch.Tensor:
    """Batches of images (N, C, H, W) joined along the width, grey made RGB when the channels differ:
    item ``i`` shows ``images[0][i]``, ``images[1][i]``, ... in one row (an input beside its reconstruction)."""
    channels = max(x.shape[1] for x in images)
    return torch.cat([x.float().expand(-1, channels, -1, -1) for x in images], dim=-1)


def tiled(images: torch.Tensor, nrow: int) -> torch.Tensor:
    """``images`` (N, C, H, W) in [-1, 1] tiled into one picture (1, C, H', W') with ``nrow`` per row,
    for a preview whose layout matters (one row per class)."""
    return grid(images, nrow)[None] * 2 - 1
