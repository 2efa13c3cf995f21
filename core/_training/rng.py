"""Seeding and capturing the random number generators of Python, NumPy and torch."""

from __future__ import annotations

import hashlib
import random
from typing import Any

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rank_seed(seed: int, rank: int) -> int:
    """The seed of process ``rank`` in a run seeded with ``seed``: ``seed`` itself for rank 0 (so one
    process trains exactly as without torchrun), a 63-bit hash of both for the others."""
    if rank == 0:
        return seed
    digest = hashlib.sha256(f"gensynth-rank:{seed}:{rank}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def capture_rng() -> dict[str, Any]:
    """Every global RNG state of this process, as tensors and JSON values (no pickle).

    On CUDA, the generator of the current device only (each process trains on one GPU; touching
    the others would create a context on every GPU from every process)."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": {"kind": kind, "keys": [int(k) for k in keys], "pos": int(pos), "has_gauss": int(has_gauss), "gauss": float(gauss)},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda_device"] = torch.cuda.get_rng_state()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal), gauss_next))
    n = state["numpy"]
    np.random.set_state((n["kind"], np.array(n["keys"], dtype=np.uint32), n["pos"], n["has_gauss"], n["gauss"]))
    torch.set_rng_state(state["torch"])
    if torch.cuda.is_available():
        if "cuda_device" in state:
            torch.cuda.set_rng_state(state["cuda_device"])
        elif "cuda" in state:  # older checkpoints: the generator of every device
            torch.cuda.set_rng_state_all(list(state["cuda"]))
