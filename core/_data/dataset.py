"""The two forms data takes: :class:`TensorData` in memory, :class:`StreamingImages` decoded on demand.

Both have ``kind`` (``"image"`` or ``"points"``), ``shape`` (of one sample),
``num_classes``, ``has_labels``, ``source`` (the ``--data`` text), ``facts``
(what a source adds to ``info()``, such as a mixture's modes), ``len()`` and
``info()``. :class:`~gensynth._data.loader.BatchStream` turns either into batches
``{"x": ..., "y": ...}`` (``"y"`` only when there are labels).
"""

from __future__ import annotations

import dataclasses
import os
import traceback
from pathlib import Path
from typing import Any, Iterator, Sequence

import torch
from torch.utils.data import DataLoader, Dataset

from gensynth._data.images import read_image
from gensynth._errors import GensynthError

#: Image files are decoded into memory up front when there are at most this many ...
MAX_IN_MEMORY_IMAGES = 20_000
#: ... and they take at most this many bytes as float32; otherwise they stream.
MAX_IN_MEMORY_BYTES = 1 << 30


class _Described:
    """``info()`` and ``has_labels`` shared by both forms."""

    kind: str
    shape: tuple[int, ...]
    num_classes: int | None
    source: str
    facts: dict[str, Any]

    @property
    def has_labels(self) -> bool:
        return self.num_classes is not None

    def info(self) -> dict[str, Any]:
        """Facts a model needs before training (passed to ``Model.bind_data``) and a run records."""
        return {
            "source": self.source,
            "kind": self.kind,
            "size": len(self),  # type: ignore[arg-type]
            "shape": list(self.shape),
            "num_classes": self.num_classes,
            "streaming": isinstance(self, StreamingImages),
            **self.facts,
        }


@dataclasses.dataclass
class TensorData(_Described):
    """Samples held in memory: images (N, C, H, W) float32 in [-1, 1] or points (N, D) float32.

    ``y`` holds int64 class labels (N,) and ``num_classes`` their count, both None without labels.
    """

    x: torch.Tensor
    y: torch.Tensor | None = None
    num_classes: int | None = None
    source: str = ""
    facts: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.x.dtype != torch.float32 or self.x.ndim not in (2, 4):
            raise ValueError(f"x must be float32 (N, D) or (N, C, H, W), got {self.x.dtype} {tuple(self.x.shape)}")
        if (self.y is None) != (self.num_classes is None):
            raise ValueError("give both y and num_classes, or neither")
        if self.y is not None and (self.y.dtype != torch.int64 or tuple(self.y.shape) != (len(self.x),)):
            raise ValueError(f"y must be int64 of shape ({len(self.x)},), got {self.y.dtype} {tuple(self.y.shape)}")

    @property
    def kind(self) -> str:  # type: ignore[override]
        return "image" if self.x.ndim == 4 else "points"

    @property
    def shape(self) -> tuple[int, ...]:  # type: ignore[override]
        return tuple(self.x.shape[1:])

    def __len__(self) -> int:
        return len(self.x)

    def batch(self, indices: torch.Tensor) -> dict[str, torch.Tensor]:
        """The samples at ``indices`` (a LongTensor on the data's device)."""
        out = {"x": self.x[indices]}
        if self.y is not None:
            out["y"] = self.y[indices]
        return out

    def to(self, device: torch.device | str) -> TensorData:
        """A copy on ``device`` (the same object when it is already there)."""
        if self.x.device == torch.device(device):
            return self
        y = None if self.y is None else self.y.to(device)
        return dataclasses.replace(self, x=self.x.to(device), y=y)


class StreamingImages(_Described, Dataset):
    """Image files decoded on demand, for folders too large to hold in memory.

    Item ``i`` is ``{"x": (C, size, size) float32 in [-1, 1], "y": int64 scalar}``,
    decoded exactly as the in-memory path decodes it (:func:`~gensynth._data.images.read_image`).
    ``panel=(i, k)`` takes the ``i``-th of ``k`` side-by-side parts of every file (one half of
    an aligned A|B pair).
    """

    kind = "image"

    def __init__(self, files: Sequence[Path], channels: int, size: int, labels: Sequence[int] | None = None,
                 num_classes: int | None = None, source: str = "", panel: tuple[int, int] | None = None) -> None:
        if (labels is None) != (num_classes is None):
            raise ValueError("give both labels and num_classes, or neither")
        self.panel = panel
        self.files = [Path(f) for f in files]
        self.labels = None if labels is None else torch.as_tensor(labels, dtype=torch.int64)
        self.num_classes = num_classes
        self.shape = (channels, size, size)
        self.source = source
        self.facts: dict[str, Any] = {}

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        channels, size, _ = self.shape
        item = {"x": read_image(self.files[index], channels, size, self.panel)}
        if self.labels is not None:
            item["y"] = self.labels[index]
        return item

    def to_memory(self) -> TensorData:
        """Decode every file now (with a few worker processes when there are many)."""
        parts = collect(self)
        return TensorData(parts["x"], parts.get("y"), self.num_classes, self.source)


def images_from_files(files: Sequence[Path], channels: int, size: int, labels: Sequence[int] | None = None,
                      num_classes: int | None = None,
                      panel: tuple[int, int] | None = None) -> TensorData | StreamingImages:
    """Image files (or one ``panel`` of each, see :class:`StreamingImages`) as data: decoded into memory
    when small (see ``MAX_IN_MEMORY_*``), streamed otherwise."""
    stream = StreamingImages(files, channels, size, labels, num_classes, panel=panel)
    nbytes = len(files) * channels * size * size * 4
    if len(files) > MAX_IN_MEMORY_IMAGES or nbytes > MAX_IN_MEMORY_BYTES:
        return stream
    return stream.to_memory()


def worker_count(n: int) -> int:
    """How many DataLoader worker processes are worth starting to decode ``n`` items."""
    return 0 if n < 1024 else min(4, os.cpu_count() or 1)


def collect(dataset: Dataset) -> dict[str, torch.Tensor]:
    """Every item of a dataset of tensor dicts, in order, stacked into one dict."""
    workers = worker_count(len(dataset))  # type: ignore[arg-type]
    parts = list(worker_batches(DataLoader(dataset, batch_size=256, num_workers=workers)))
    return {key: torch.cat([part[key] for part in parts]) for key in parts[0]}


def worker_batches(loader: DataLoader) -> Iterator[dict[str, torch.Tensor]]:
    """Iterate ``loader``; a GensynthError in a worker is re-raised on one line, workers already stopped.

    DataLoader re-raises a worker's exception with the worker's traceback in its
    message (the original message is the last line). Its traceback holds the
    loader's iterator in a reference cycle, so the workers would live on until
    garbage collection, which then waits seconds per worker: the frames are
    cleared and the iterator dropped before the error is raised.
    """
    batches = iter(loader)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except GensynthError as exc:
            traceback.clear_frames(exc.__traceback__)
            lines = str(exc).strip().splitlines()
            message = lines[0] if len(lines) == 1 else lines[-1].partition(": ")[2]
            break
        yield batch
    del batches
    raise GensynthError(message)
