"""The user cache: reference features and trained extractors, reused across evaluations.

The folder is ``$GENSYNTH_CACHE_DIR``, else ``$XDG_CACHE_HOME/gensynth``, else
``~/.cache/gensynth``. An entry is a folder ``<kind>/<key digest>/`` holding
``tensors.safetensors`` and ``meta.json``, written under a temporary name and
renamed into place; its key is everything the content depends on (the data's
content hash, the extractor's description, ...), so a stale entry is never
reused. An unreadable entry is treated as absent and written again.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any, Mapping

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from gensynth._discovery.settings import cache_dir
from gensynth._training.atomic import publish_dir_atomic
from gensynth._data.dataset import StreamingImages, TensorData
from gensynth._data.loader import ordered_batches

TENSORS = "tensors.safetensors"
META = "meta.json"


def digest(key: Any) -> str:
    """A short, stable hash of a JSON-serialisable value (keys sorted)."""
    return hashlib.sha256(json.dumps(key, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:32]


def file_sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def tensors_sha256(tensors: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 of named tensors (names, dtypes, shapes and values, in name order): a weights hash."""
    sha = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        sha.update(f"{name}:{tensor.dtype}:{list(tensor.shape)};".encode())
        sha.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return sha.hexdigest()


def data_sha256(data: TensorData | StreamingImages) -> str:
    """SHA-256 of the samples (and labels) exactly as loaded and converted, in order."""
    sha = hashlib.sha256(json.dumps({"kind": data.kind, "shape": list(data.shape), "n": len(data)}).encode())
    for batch in ordered_batches(data, 1024):
        for key in ("x", "y"):
            if key in batch:
                sha.update(batch[key].detach().cpu().contiguous().numpy().tobytes())
    return sha.hexdigest()


class CachedTensors:
    """One cache entry: tensors plus JSON metadata under ``<cache>/<kind>/<digest(key)>``."""

    def __init__(self, kind: str, key: Any) -> None:
        self.key = key
        self.path = cache_dir() / kind / digest(key)

    def load(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]] | None:
        """``(tensors, meta)``, or None when the entry is absent or unreadable."""
        try:
            tensors = load_file(str(self.path / TENSORS))
            meta = json.loads((self.path / META).read_text())
        except (OSError, SafetensorError, ValueError):
            return None
        return tensors, meta

    def save(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent))
        save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(tmp / TENSORS))
        (tmp / META).write_text(json.dumps({"key": self.key, **meta}, indent=2) + "\n")
        publish_dir_atomic(tmp, self.path)
