"""Translating image files with a model that has the ``"translate"`` capability (``gensynth translate``).

Inputs are image files and folders, searched recursively as ``folder:PATH`` is.
Each image is read as the direction's source domain asks (its channels, resized
to its size; see :func:`gensynth._data.images.read_image`) and written as one PNG
in the output folder: a file under its own name, an image found in a folder
under its path relative to that folder, both with the suffix ``.png``. On request,
a contact sheet shows the first :data:`SHEET_ROWS` inputs beside their translations
(and their reconstructions, when the model also translates back).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import torch

from gensynth._data.files import list_images
from gensynth._data.images import read_image
from gensynth._metadata.request import DataRequest
from gensynth._errors import GensynthError
from gensynth._naming import option
from gensynth._models.images import save_grid, save_image
from gensynth._models.model import Model
from gensynth._models.sheets import contact_sheet


def translation_jobs(inputs: Iterable[str | Path]) -> list[tuple[Path, Path]]:
    """``(image file, output path relative to the output folder)`` for every input image."""
    jobs: list[tuple[Path, Path]] = []
    for text in inputs:
        path = Path(text).expanduser()
        if path.is_dir():
            jobs += [(file, file.relative_to(path).with_suffix(".png")) for file in list_images(path)]
        elif path.is_file():
            jobs.append((path, Path(path.name).with_suffix(".png")))
        else:
            raise GensynthError(f"input {path} does not exist; give image files or folders of images")
    if not jobs:
        raise GensynthError("no inputs given; give image files or folders of images")
    first_of: dict[Path, Path] = {}
    for file, name in jobs:
        if name in first_of:
            raise GensynthError(f"{first_of[name]} and {file} would both be written as {name}; "
                                f"translate them in separate calls")
        first_of[name] = file
    return jobs


#: Inputs a contact sheet shows (the first ones).
SHEET_ROWS = 64


def chosen_direction(model: Model, direction: str | None) -> str:
    """``direction``, or the model's only one when None; a GensynthError for one the model does not know."""
    directions = tuple(getattr(model, "directions", ()))
    if direction is None:
        if len(directions) != 1:
            raise GensynthError(f"this model translates {' or '.join(directions)}: pick one with {option('direction')}")
        return directions[0]
    if direction not in directions:
        raise GensynthError(f"unknown direction {direction!r}: this model translates {' or '.join(directions)}")
    return direction


def source_request(model: Model, direction: str) -> DataRequest:
    """What images ``direction`` (``<source>2<target>``) translates: the source domain's data request."""
    return model.data_request()[chosen_direction(model, direction).partition("2")[0]]


@torch.no_grad()
def translate_images(model: Model, jobs: list[tuple[Path, Path]], direction: str | None, out_dir: str | Path,
                     batch_size: int = 64, sheet: str | Path | None = None) -> list[Path]:
    """Translate every job's image and write it under ``out_dir`` (and a contact sheet to ``sheet``);
    return the written translations' paths. ``direction`` None: the model's only direction."""
    direction = chosen_direction(model, direction)
    request = source_request(model, direction)
    source, _, target = direction.partition("2")
    back = f"{target}2{source}" if f"{target}2{source}" in getattr(model, "directions", ()) else None
    out_dir = Path(out_dir)
    written, shown = [], {"input": [], "translated": []}
    for start in range(0, len(jobs), batch_size):
        chunk = jobs[start:start + batch_size]
        x = torch.stack([read_image(file, request.channels, request.image_size) for file, _ in chunk])
        translated = model.translate(x.to(model.device), direction)
        for (_, name), image in zip(chunk, translated):
            written.append(save_image(image, out_dir / name))
        if sheet is not None and start < SHEET_ROWS:
            shown["input"].append(x[:SHEET_ROWS - start])
            shown["translated"].append(translated[:SHEET_ROWS - start].cpu())
    if sheet is not None:
        columns = {name: torch.cat(parts) for name, parts in shown.items()}
        if back is not None:
            columns["reconstructed"] = model.translate(columns["translated"].to(model.device), back).cpu()
        save_grid(contact_sheet(columns), sheet)
    return written
