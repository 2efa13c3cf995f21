"""Contact sheets: batches of images shown side by side in named columns (input | translated | reconstructed).

Translation previews and ``gensynth translate --sheet`` use them. Row ``i`` shows
item ``i`` of every column; rows are laid out in blocks side by side so that the
sheet is about square, and a header above each block names its columns. Small
images are scaled up (nearest neighbour, whole factors) so that the names fit.
"""

from __future__ import annotations

import math
from typing import Mapping

import torch
from PIL import Image, ImageDraw, ImageFont

PAD = 2
#: Cells are scaled up by whole factors until they are at least this many pixels wide.
MIN_CELL = 56
_FONT_SIZES = range(12, 5, -1)


def contact_sheet(columns: Mapping[str, torch.Tensor], blocks: int | None = None) -> torch.Tensor:
    """One picture (1, C, H, W) in [-1, 1] of ``columns`` (name -> images (N, C, h, w) in [-1, 1], all of one
    N and one h x w): row ``i`` holds item ``i`` of each column in order, under a header naming the columns.

    ``blocks`` sets how many blocks of rows stand side by side (default: what makes the sheet about square).
    Grey columns are shown in colour when another column is RGB.
    """
    names = list(columns)
    images = [columns[name].detach().float().cpu().clamp(-1, 1) for name in names]
    if not images or len({(x.shape[0], *x.shape[2:]) for x in images}) != 1:
        raise ValueError("contact_sheet needs at least one column, and columns of one length and image size")
    channels = max(x.shape[1] for x in images)
    n, _, height, width = images[0].shape
    scale = max(1, math.ceil(MIN_CELL / width))
    cell_h, cell_w = height * scale, width * scale
    images = [x.expand(-1, channels, -1, -1).repeat_interleave(scale, 2).repeat_interleave(scale, 3) for x in images]
    blocks = blocks or max(1, min(n, round(math.sqrt(n * cell_h / (len(names) * cell_w)))))
    rows = math.ceil(n / blocks)
    header = header_strip(names, cell_w)
    block_w = len(names) * (cell_w + PAD) - PAD
    sheet = torch.ones(channels, PAD + header.shape[0] + rows * (cell_h + PAD), PAD + blocks * (block_w + 2 * PAD))
    for block in range(blocks):
        left = PAD + block * (block_w + 2 * PAD)
        sheet[:, PAD:PAD + header.shape[0], left:left + block_w] = header
        for row in range(rows):
            index = block * rows + row
            if index >= n:
                break
            top = PAD + header.shape[0] + row * (cell_h + PAD)
            for column, x in enumerate(images):
                x0 = left + column * (cell_w + PAD)
                sheet[:, top:top + cell_h, x0:x0 + cell_w] = x[index] * 0.5 + 0.5
    return sheet[None] * 2 - 1


def header_strip(names: list[str], cell_w: int) -> torch.Tensor:
    """A white strip (H, W) in [0, 1] with each name centred over its column, black, in the largest font that fits."""
    font = fitting_font(names, cell_w - 2)
    ascent, descent = font.getmetrics() if hasattr(font, "getmetrics") else (10, 2)
    strip = Image.new("L", (len(names) * (cell_w + PAD) - PAD, ascent + descent + 2), 255)
    draw = ImageDraw.Draw(strip)
    for column, name in enumerate(names):
        left = column * (cell_w + PAD) + (cell_w - draw.textlength(name, font=font)) / 2
        draw.text((left, 1), name, fill=0, font=font)
    return torch.frombuffer(bytearray(strip.tobytes()), dtype=torch.uint8).view(strip.height, strip.width) / 255.0


def fitting_font(names: list[str], width: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's bundled font at the largest size (12 px down to 6) at which every name fits in ``width`` pixels."""
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    for size in _FONT_SIZES:
        font = ImageFont.load_default(size=size)
        if all(probe.textlength(name, font=font) <= width for name in names):
            return font
    return font
