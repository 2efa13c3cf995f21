"""Checking the folders that ``--data NAME:PATH`` arguments name, and finding the images in them."""

from __future__ import annotations

import os
from pathlib import Path

from gensynth._errors import GensynthError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def existing_folder(text: str, what: str) -> Path:
    """``text`` as a Path to an existing folder; ``what`` says what the folder should hold."""
    path = Path(text).expanduser()
    if not path.exists():
        raise GensynthError(f"folder {path} does not exist; give the folder that holds {what}")
    if not path.is_dir():
        raise GensynthError(f"{path} is not a folder; give the folder that holds {what}, not a file in it")
    if not os.access(path, os.R_OK | os.X_OK):
        raise GensynthError(f"cannot read folder {path} (permission denied); give a folder you can read")
    return path


def list_images(root: Path) -> list[Path]:
    """Image files under ``root`` (recursively) in sorted order, hidden ones left out; a GensynthError when none."""
    found = []
    for folder, subfolders, names in os.walk(root, onerror=_unreadable):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        found += [Path(folder, name) for name in names
                  if not name.startswith(".") and Path(name).suffix.lower() in IMAGE_EXTENSIONS]
    files = sorted(path for path in found if path.is_file())
    if not files:
        raise GensynthError(f"no images in {root} or its sub-folders: looked for {' '.join(IMAGE_EXTENSIONS)} files")
    return files


def _unreadable(error: OSError) -> None:
    """``os.walk`` skips folders it cannot list; a data folder that cannot be read is an error instead."""
    raise GensynthError(f"cannot read folder {error.filename} ({error.strerror.lower()}); give a folder you can read")
