"""Writing images: sample grids and individual PNGs (atomic), and point clouds as scatter plots (matplotlib)."""

from __future__ import annotations

import dataclasses
import io
import math
from pathlib import Path
from typing import Any

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


#: Points drawn in a preview of a point model: as many as the mode-coverage protocol
#: (VEEGAN/PacGAN) evaluates, so the picture shows what the metric measures.
POINT_PREVIEW_SAMPLES = 2500


def as_images(samples: torch.Tensor, modes: Mixture | None = None) -> torch.Tensor:
    """Images unchanged; 2-D points (N, D) drawn as one scatter plot, with ``modes`` marked when known."""
    if samples.dim() == 2:
        return render_points(samples, modes)
    return samples


@dataclasses.dataclass(frozen=True)
class Mixture:
    """The true modes (K, 2) of a Gaussian-mixture data set and their standard deviation."""

    centres: list[list[float]]
    std: float

    @classmethod
    def of(cls, info: Any) -> Mixture | None:
        """The ``mixture`` a data set's ``info()`` (or a run's recorded data info) declares, else None."""
        mixture = info.get("mixture") if isinstance(info, dict) else None
        if not (isinstance(mixture, dict) and mixture.get("modes")):
            return None
        return cls([list(map(float, c[:2])) for c in mixture["modes"]], float(mixture.get("std", 0.0)))


def render_points(points: torch.Tensor, modes: Mixture | None = None, size: int = 480) -> torch.Tensor:
    """A scatter plot (1, 3, size, size) in [-1, 1] of the first two coordinates of ``points``, with axes;
    the true ``modes`` as red crosses. With modes the frame is fixed by them (so previews over
    training compare), and points outside it are counted in the legend."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    pts = points.detach().float().cpu()[:, :2].numpy()
    finite = np.isfinite(pts).all(axis=1)
    if modes is not None:
        centres = np.asarray(modes.centres)
        extent = float(np.abs(centres).max()) * 1.25 + 4 * modes.std
    else:
        extent = float(np.abs(pts[finite]).max()) * 1.1 if finite.any() else 1.0
    extent = extent or 1.0
    inside = finite & (np.abs(pts) <= extent).all(axis=1)
    dpi = 96
    figure = Figure(figsize=(size / dpi, size / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    outside = len(pts) - int(inside.sum())
    label = f"{len(pts):,} generated" + (f" ({outside:,} outside)" if outside else "")
    ax.scatter(pts[inside, 0], pts[inside, 1], s=3, alpha=0.4, linewidths=0, color="tab:blue", label=label)
    if modes is not None:
        ax.scatter(centres[:, 0], centres[:, 1], s=40, marker="x", color="tab:red", linewidths=1.2,
                   label=f"{len(centres)} true modes")
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.grid(True, linewidth=0.3, alpha=0.5)
    ax.legend(loc="upper right", fontsize=7, framealpha=0.8, markerscale=2)
    ax.tick_params(labelsize=7)
    figure.tight_layout()
    canvas.draw()
    rgb = torch.from_numpy(np.asarray(canvas.buffer_rgba())[:, :, :3].copy()).permute(2, 0, 1).float()
    return (rgb / 127.5 - 1)[None]


def side_by_side(*images: torch.Tensor) -> torch.Tensor:
    """Batches of images (N, C, H, W) joined along the width, grey made RGB when the channels differ:
    item ``i`` shows ``images[0][i]``, ``images[1][i]``, ... in one row (an input beside its reconstruction)."""
    channels = max(x.shape[1] for x in images)
    return torch.cat([x.float().expand(-1, channels, -1, -1) for x in images], dim=-1)


def tiled(images: torch.Tensor, nrow: int) -> torch.Tensor:
    """``images`` (N, C, H, W) in [-1, 1] tiled into one picture (1, C, H', W') with ``nrow`` per row,
    for a preview whose layout matters (one row per class)."""
    return grid(images, nrow)[None] * 2 - 1
