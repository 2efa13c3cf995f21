"""Checking the folders that ``--data NAME:PATH`` arguments name, and finding the images in them."""

from __future__ import annotations

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
    return path


def list_images(root: Path) -> list[Path]:
    """Image files under ``root`` (recursively) in sorted order, hidden ones left out; a GensynthError when none."""
    files = sorted(
        path for path in root.rglob("*")
        if path.suffix.lower() in IMAGE_EXTENSIONS
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
        and path.is_file()
    )
    if not files:
        raise GensynthError(f"no images in {root} or its sub-folders: looked for {' '.join(IMAGE_EXTENSIONS)} files")
    return files
