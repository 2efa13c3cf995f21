"""Image conversion shared by every image source: channels, size, value range.

Every source ends with :func:`prepare_images`, so a folder of PNGs, an IDX file
and a torchvision dataset asked for the same size and channels look alike:
float32 in [-1, 1], ``size`` x ``size``, 1 (grey) or 3 (RGB) channels.
"""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image
from torchvision.transforms.v2 import functional as F

from gensynth._errors import GensynthError

_GREY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}


def pil_to_uint8(image: Image.Image) -> torch.Tensor:
    """A PIL image as a uint8 tensor (C, H, W) with C = 1 (grey modes) or 3 (everything else).

    Transparency (RGBA, LA, palette or colour-key transparency) is composited onto
    a white background rather than dropped: dropped alpha exposes whatever colour
    the transparent pixels happen to store, often black.
    """
    grey = image.mode in _GREY_MODES
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    return F.pil_to_tensor(image.convert("L" if grey else "RGB"))


def native_format(image: Image.Image) -> tuple[int, int]:
    """``(channels, size)`` an image has natively: 1 for grey modes else 3, and its shorter side."""
    return (1 if image.mode in _GREY_MODES else 3), min(image.size)


def prepare_images(x: torch.Tensor, channels: int, size: int) -> torch.Tensor:
    """Convert images (N, C, H, W), uint8 or float in [0, 1], C in {1, 3}, to the model's format.

    Grey and RGB are converted with torchvision (ITU-R 601-2 luma for RGB -> grey);
    the shorter side is resized to ``size`` (bilinear, antialiased) and the centre
    ``size`` x ``size`` square is cropped; values end in [-1, 1] as float32.
    """
    if channels not in (1, 3):
        raise GensynthError(f"cannot make images with {channels} channels: use 1 (grey) or 3 (RGB)")
    x = F.to_dtype(x, torch.float32, scale=True)
    if x.shape[-3] == 3 and channels == 1:
        x = F.rgb_to_grayscale(x)
    if min(x.shape[-2:]) != size:
        x = F.resize(x, [size], antialias=True)
    if tuple(x.shape[-2:]) != (size, size):
        x = F.center_crop(x, [size, size])
    if x.shape[-3] == 1 and channels == 3:
        x = F.grayscale_to_rgb(x)
    return F.normalize(x, mean=[0.5] * channels, std=[0.5] * channels)


def open_image(path: Path) -> Image.Image:
    """Open and fully decode an image file; a corrupt or unreadable file is a GensynthError naming it."""
    try:
        with Image.open(path) as image:
            image.load()
            return image
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise GensynthError(f"cannot read image {path}: {exc}; fix or remove the file") from exc


def read_image(path: Path, channels: int, size: int, panel: tuple[int, int] | None = None) -> torch.Tensor:
    """One image file as a float32 tensor (channels, size, size) in [-1, 1].

    ``panel=(i, k)`` reads only the ``i``-th of ``k`` equal side-by-side parts of the
    image (``(0, 2)``: the left half of an aligned A|B pair); its width must divide by ``k``.
    """
    pixels = pil_to_uint8(open_image(path))
    if panel is not None:
        index, count = panel
        width = pixels.shape[-1]
        if width % count:
            raise GensynthError(f"{path} is {width} px wide, which does not split into {count} equal parts; "
                                f"give images made of {count} side-by-side panels")
        part = width // count
        pixels = pixels[..., index * part:(index + 1) * part]
    return prepare_images(pixels[None], channels, size)[0]
