"""Checking the folders that ``--data NAME:PATH`` arguments name."""

from __future__ import annotations

from pathlib import Path

from gensynth.errors import GensynthError


def existing_folder(text: str, what: str) -> Path:
    """``text`` as a Path to an existing folder; ``what`` says what the folder should hold."""
    path = Path(text).expanduser()
    if not path.exists():
        raise GensynthError(f"folder {path} does not exist; give the folder that holds {what}")
    if not path.is_dir():
        raise GensynthError(f"{path} is not a folder; give the folder that holds {what}, not a file in it")
    return path
