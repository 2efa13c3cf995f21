"""Atomic file writes: temporary file in the same folder, fsync, rename.

A kill at any moment leaves either the old file or the new one, never a
partial file. It can leave the temporary file (``.NAME.XXXXXXXX.tmp``) behind;
:func:`stale_temporaries` finds those, for the next owner of the folder to remove.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_TEMP_SUFFIX = ".tmp"


def stale_temporaries(folder: Path, name: str = "*") -> list[Path]:
    """The temporary files :func:`write_atomic` left in ``folder`` for files named like ``name`` (a glob)."""
    return sorted(p for p in folder.glob(f".{name}.*{_TEMP_SUFFIX}") if p.is_file()) if folder.is_dir() else []


def write_atomic(path: str | os.PathLike, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)`` then move the result onto ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TEMP_SUFFIX, dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the mode open() would
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, path)
        fsync_dir(path.parent)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    write_atomic(path, lambda p: p.write_bytes(data))


def write_json_atomic(path: str | os.PathLike, obj: Any) -> None:
    write_bytes_atomic(path, (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode())


def publish_dir_atomic(tmp_dir: Path, final_dir: Path) -> None:
    """Rename a fully written folder into place (replacing an older one)."""
    for f in tmp_dir.iterdir():
        if f.is_file():
            with open(f, "rb+") as fh:
                os.fsync(fh.fileno())
    fsync_dir(tmp_dir)
    old = final_dir.with_name(f".{final_dir.name}.old")
    if final_dir.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final_dir, old)  # moved aside, not deleted, until the new one is in place
    os.replace(tmp_dir, final_dir)
    fsync_dir(final_dir.parent)
    shutil.rmtree(old, ignore_errors=True)
