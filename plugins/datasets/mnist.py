"""``mnist:PATH``: MNIST-format IDX files, as distributed by LeCun et al. (also EMNIST, Fashion-MNIST).

PATH is the folder holding ``<prefix>-images-idx3-ubyte`` and its
``<prefix>-labels-idx1-ubyte`` (each optionally ``.gz``; ``.`` instead of the
last ``-`` is accepted too). Every pair found is used, ``train`` first, so a
folder with both the training and test files gives all 70,000 digits.
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

import numpy as np
import torch

from gensynth import DataRequest, GensynthError, TensorData, existing_folder, prepare_images

IMAGES_MAGIC = 2051  # 0x0803: unsigned bytes, 3 dimensions (N, rows, cols)
LABELS_MAGIC = 2049  # 0x0801: unsigned bytes, 1 dimension (N,)
_IMAGES_NAME = re.compile(r"^(?P<prefix>.+)-images(?P<sep>[-.])idx3-ubyte(?:\.gz)?$")
_EXPECTED = "*-images-idx3-ubyte[.gz] and *-labels-idx1-ubyte[.gz] files"


def load(argument: str, request: DataRequest, *, download: bool = False) -> TensorData:
    """Every image/label pair in folder ``argument``, resized to the request (28x28 grey natively)."""
    pairs = find_pairs(existing_folder(argument, _EXPECTED))
    images, labels = [], []
    for images_path, labels_path in pairs:
        x, y = read_idx(images_path, IMAGES_MAGIC), read_idx(labels_path, LABELS_MAGIC)
        if len(x) != len(y):
            raise GensynthError(f"{images_path.name} has {len(x)} images but {labels_path.name} has {len(y)} labels; "
                                f"the files do not belong together or one is damaged")
        images.append(x)
        labels.append(y)
    if not sum(len(x) for x in images):
        raise GensynthError(f"the MNIST files in {argument} hold no images; give files with at least one")
    pixels = torch.from_numpy(np.concatenate(images)).unsqueeze(1)
    x = prepare_images(pixels, request.channels or 1, request.image_size or min(pixels.shape[-2:]))
    y = torch.from_numpy(np.concatenate(labels)).long()
    return TensorData(x, y, num_classes=int(y.max()) + 1)


def find_pairs(folder: Path) -> list[tuple[Path, Path]]:
    """``(images, labels)`` file pairs in ``folder``, ``train`` first, then by name."""
    images: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        match = _IMAGES_NAME.match(path.name)
        if match and path.is_file():
            images.setdefault(match["prefix"], path)  # sorted: the raw file wins over its .gz
    if not images:
        raise GensynthError(f"no MNIST files in {folder}: looked for {_EXPECTED}; "
                            f"for torchvision's layout use --data torchvision:MNIST:ROOT")
    pairs = []
    for prefix in sorted(images, key=lambda p: (p != "train", p)):
        sep = _IMAGES_NAME.match(images[prefix].name)["sep"]  # type: ignore[index]
        stem = f"{prefix}-labels{sep}idx1-ubyte"
        labels = next((folder / n for n in (stem, stem + ".gz") if (folder / n).is_file()), None)
        if labels is None:
            raise GensynthError(f"{images[prefix].name} in {folder} has no labels file {stem}[.gz]; add it next to it")
        pairs.append((images[prefix], labels))
    return pairs


def read_idx(path: Path, magic: int) -> np.ndarray:
    """The uint8 array stored in IDX file ``path`` (gzip-compressed when named ``*.gz``), header checked."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise GensynthError(f"cannot read {path}: {exc}; download the file again") from exc
    found = int.from_bytes(raw[:4], "big")
    if len(raw) < 4 or found != magic:
        raise GensynthError(f"{path} is not an IDX file of the expected kind (magic number {found}, expected {magic}); "
                            f"the file is damaged or misnamed")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise GensynthError(f"{path} is truncated: {len(raw)} bytes, less than its header; download the file again")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    if ndim == 3 and dims[0] and 0 in dims[1:]:
        raise GensynthError(f"{path} holds images of {dims[1]}x{dims[2]} pixels; the file is damaged or misnamed")
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        raise GensynthError(f"{path} is truncated or damaged: its header promises {expected} bytes of shape {dims}, "
                            f"it holds {len(raw)}; download the file again")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)
