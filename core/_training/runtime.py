"""Device, precision and process placement, decided in one place.

Everything that depends on where training runs (which device, autocast dtype,
which process writes logs and checkpoints) asks the :class:`Runtime`, so CUDA,
bf16 and torchrun/DDP need no changes elsewhere.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from typing import Iterator

import torch

from gensynth._errors import GensynthError

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def select_device(name: str = "auto") -> torch.device:
    """``auto`` picks cuda, then mps, then cpu; an explicit device must be available."""
    name = (name or "auto").lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise GensynthError(f"--device {name}: CUDA is not available on this machine; use --device cpu or auto")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise GensynthError("--device mps: MPS is not available on this machine; use --device cpu or auto")
    try:
        return torch.device(name)
    except RuntimeError:
        raise GensynthError(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps") from None


@dataclasses.dataclass
class Runtime:
    """Where and how training runs."""

    device: torch.device
    precision: str = "fp32"
    rank: int = 0
    world_size: int = 1

    @classmethod
    def create(cls, device: str = "auto", precision: str = "fp32") -> "Runtime":
        if precision not in PRECISIONS:
            raise GensynthError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}")
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        if world_size > 1:
            raise GensynthError("multi-process training (torchrun) is not supported yet; run a single process")
        dev = select_device(device)
        if precision == "fp16" and dev.type != "cuda":
            raise GensynthError("--precision fp16 needs a CUDA device; use bf16 or fp32")
        return cls(device=dev, precision=precision, rank=int(os.environ.get("RANK", "0")), world_size=world_size)

    @property
    def is_main(self) -> bool:
        """Whether this process writes logs, samples and checkpoints."""
        return self.rank == 0

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        dtype = PRECISIONS[self.precision]
        if dtype is None:
            yield
        else:
            with torch.autocast(device_type=self.device.type, dtype=dtype):
                yield

    def grad_scaler(self) -> "torch.amp.GradScaler":
        return torch.amp.GradScaler(self.device.type, enabled=self.precision == "fp16")

    @property
    def synchronous(self) -> bool:
        """Whether reading a loss value is cheap (no device round trip)."""
        return self.device.type == "cpu"
