"""Deterministic, restartable batch order.

Epoch ``e`` visits the samples in the order ``randperm(n)`` drawn from a private
generator seeded with ``derived_seed(seed, e)``; each epoch is cut into
``n // batch_size`` batches (the incomplete last one is dropped). Step ``s``
(0-based) is therefore batch ``s % steps_per_epoch`` of epoch ``s // steps_per_epoch``,
which depends on nothing but ``(seed, s)``: a stream started at ``start_step=k``
yields exactly what a fresh stream yields from its ``k``-th batch on, which is
what bit-exact resume needs. The global RNG is never touched.

``batch_size`` is the global batch of one step. Under data-parallel training
(``world_size`` processes) each process takes its equal, contiguous share of that
batch: process ``rank`` gets examples ``[rank * b, (rank + 1) * b)`` of it, with
``b = batch_size / world_size``. The examples a step visits therefore do not
depend on the number of processes, only how they are split among them.
"""

from __future__ import annotations

from typing import Iterator

import torch
from torch.utils.data import DataLoader

from gensynth._data.dataset import StreamingImages, TensorData, worker_batches, worker_count
from gensynth._errors import GensynthError
from gensynth._metadata.seeds import derived_seed
from gensynth._naming import option


def epoch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The permutation of ``range(n)`` that epoch ``epoch`` visits (CPU LongTensor)."""
    generator = torch.Generator().manual_seed(derived_seed(seed, epoch))
    return torch.randperm(n, generator=generator)


def share_of(batch_size: int, world_size: int) -> int:
    """Examples per process of a global batch of ``batch_size`` split over ``world_size`` processes."""
    if batch_size % world_size:
        lower = batch_size - batch_size % world_size
        suggestion = f"{lower} or {lower + world_size}" if lower else f"{world_size}"
        raise GensynthError(f"{option('batch_size', batch_size)} is the global batch and must split evenly over the "
                            f"{world_size} processes; use {suggestion}")
    return batch_size // world_size


class BatchOrder:
    """Which samples each step visits (this process's share of them); the current epoch's permutation is cached."""

    def __init__(self, n: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1) -> None:
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.steps_per_epoch = n // batch_size
        self.share = share_of(batch_size, world_size)
        self.offset = rank * self.share
        self._epoch, self._order = -1, torch.empty(0, dtype=torch.int64)

    def indices(self, step: int) -> torch.Tensor:
        """The sample indices of batch ``step`` that this process takes (CPU LongTensor)."""
        epoch, position = divmod(step, self.steps_per_epoch)
        if epoch != self._epoch:
            self._epoch, self._order = epoch, epoch_order(self.n, self.seed, epoch)
        start = position * self.batch_size + self.offset
        return self._order[start:start + self.share]


class BatchStream:
    """An endless iterator of batch dicts ``{"x": ..., "y": ...}`` in the deterministic order above.

    In-memory data is moved to ``device`` once and batches are gathered there by
    indexing. Streaming data goes through a DataLoader with ``num_workers`` worker
    processes (default: a few) whose batch sampler follows the same order, and each
    batch is moved to ``device``. With ``world_size`` processes, each yields its ``rank``'s
    share of every global batch of ``batch_size`` (see above).
    """

    def __init__(self, data: TensorData | StreamingImages, batch_size: int, seed: int, start_step: int = 0,
                 device: torch.device | str | None = None, num_workers: int | None = None,
                 rank: int = 0, world_size: int = 1) -> None:
        if start_step < 0:
            raise ValueError(f"start_step must be >= 0, got {start_step}")
        self.steps_per_epoch = self.steps_for(len(data), batch_size)
        order = BatchOrder(len(data), batch_size, seed, rank, world_size)
        device = None if device is None else torch.device(device)
        # The generators below must not refer back to this object: a DataLoader
        # caught in a reference cycle takes seconds per worker to shut down.
        if isinstance(data, TensorData):
            self._batches = _memory_batches(data if device is None else data.to(device), order, start_step)
        elif isinstance(data, StreamingImages):
            workers = worker_count(len(data)) if num_workers is None else num_workers
            loader = DataLoader(data, batch_sampler=_index_lists(order, start_step), num_workers=workers,
                                pin_memory=device is not None and device.type == "cuda")
            self._batches = _loaded_batches(loader, device)
        else:
            raise TypeError(f"expected TensorData or StreamingImages, got {type(data).__name__}")

    @staticmethod
    def steps_for(n: int, batch_size: int) -> int:
        """Batches in one epoch of ``n`` samples; a GensynthError when ``batch_size`` cannot fit."""
        if batch_size < 1:
            raise GensynthError(f"{option('batch_size')} must be at least 1, got {batch_size}")
        if batch_size > n:
            raise GensynthError(f"batch size {batch_size} is larger than the data ({n} samples); "
                                f"use {option('batch_size', n)} or less")
        return n // batch_size

    def __iter__(self) -> BatchStream:
        return self

    def __next__(self) -> dict[str, torch.Tensor]:
        return next(self._batches)


def ordered_batches(data: TensorData | StreamingImages, batch_size: int) -> Iterator[dict[str, torch.Tensor]]:
    """Every sample once, in the data's own order, in batches of ``batch_size`` (the last may be smaller)."""
    if isinstance(data, TensorData):
        for start in range(0, len(data), batch_size):
            yield data.batch(torch.arange(start, min(start + batch_size, len(data)), device=data.x.device))
    else:
        yield from worker_batches(DataLoader(data, batch_size=batch_size, num_workers=worker_count(len(data))))


def _memory_batches(data: TensorData, order: BatchOrder, step: int) -> Iterator[dict[str, torch.Tensor]]:
    while True:
        yield data.batch(order.indices(step).to(data.x.device))
        step += 1


def _index_lists(order: BatchOrder, step: int) -> Iterator[list[int]]:
    while True:
        yield order.indices(step).tolist()
        step += 1


def _loaded_batches(loader: DataLoader, device: torch.device | None) -> Iterator[dict[str, torch.Tensor]]:
    for batch in worker_batches(loader):
        if device is not None:
            batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
        yield batch
