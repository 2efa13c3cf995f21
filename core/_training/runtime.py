"""Device, precision and process placement, decided in one place.

Everything that depends on where training runs (which device, autocast dtype,
which process writes logs and checkpoints, how processes talk) asks the
:class:`Runtime`, so CUDA, bf16 and torchrun/DDP need no changes elsewhere.

Under ``torchrun`` (``WORLD_SIZE`` > 1 in the environment) the Runtime joins
the process group torchrun describes (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR``/``MASTER_PORT``): gloo on CPU, NCCL on CUDA, each process on the
GPU of its ``LOCAL_RANK``. Used as a context manager it leaves the group on
every exit path (errors and Ctrl-C included). Its collectives are no-ops in a
single process, so callers need no branches. See docs/distributed.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import os
from typing import Any, Callable, Iterator, TypeVar

import torch
from torch import nn

from gensynth._errors import GensynthError
from gensynth._naming import option
from gensynth._training.processes import launched_local_rank, launched_rank, launched_world_size

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
#: How long a process waits in a collective (for example while rank 0 evaluates) before it fails;
#: ``GENSYNTH_DIST_TIMEOUT`` (minutes) overrides it. A process that dies is noticed by torchrun at once.
DEFAULT_TIMEOUT_MINUTES = 30
T = TypeVar("T")


def select_device(name: str = "auto") -> torch.device:
    """``auto`` picks cuda, then mps, then cpu; an explicit device must be available."""
    name = (name or "auto").lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", launched_local_rank())
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise GensynthError(f"{option('device', name)}: CUDA is not available on this machine; "
                            f"use {option('device', 'cpu')} or auto")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise GensynthError(f"{option('device', 'mps')}: MPS is not available on this machine; "
                            f"use {option('device', 'cpu')} or auto")
    try:
        return torch.device(name)
    except RuntimeError:
        raise GensynthError(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps") from None


def process_device(name: str, local_rank: int) -> torch.device:
    """The device of one of several processes on a machine: the GPU of its ``LOCAL_RANK``, or the CPU."""
    name = (name or "auto").lower()
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "mps":
        raise GensynthError(f"{option('device', 'mps')} cannot train with several processes; use one process, "
                            f"or {option('device', 'cpu')}")
    if name.startswith("cuda:"):
        raise GensynthError(f"{option('device', name)} pins one GPU, but under torchrun each process takes the GPU of "
                            f"its LOCAL_RANK; use {option('device', 'cuda')} (or auto), and CUDA_VISIBLE_DEVICES to "
                            "choose the GPUs")
    device = select_device(name)
    if device.type == "cuda":
        count = torch.cuda.device_count()
        if local_rank >= count:
            raise GensynthError(f"process with LOCAL_RANK {local_rank} has no GPU: this machine shows {count}; "
                                f"start at most {count} processes per machine (torchrun --nproc-per-node {count})")
        device = torch.device("cuda", local_rank)
    return device


def _timeout() -> datetime.timedelta:
    minutes = os.environ.get("GENSYNTH_DIST_TIMEOUT", "")
    try:
        value = float(minutes) if minutes.strip() else DEFAULT_TIMEOUT_MINUTES
    except ValueError:
        value = -1
    if value <= 0:
        raise GensynthError(f"GENSYNTH_DIST_TIMEOUT={minutes!r} must be a positive number of minutes")
    return datetime.timedelta(minutes=value)


@dataclasses.dataclass
class Runtime:
    """Where and how training runs: device, precision, and this process's place among the processes."""

    device: torch.device
    precision: str = "fp32"
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    #: Whether this Runtime joined the process group (and so leaves it in :meth:`close`).
    owns_group: bool = dataclasses.field(default=False, repr=False)

    @classmethod
    def create(cls, device: str = "auto", precision: str = "fp32") -> "Runtime":
        """The Runtime of this process; joins torchrun's process group when ``WORLD_SIZE`` > 1."""
        if precision not in PRECISIONS:
            raise GensynthError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}")
        world_size, rank, local_rank = launched_world_size(), launched_rank(), launched_local_rank()
        dev = process_device(device, local_rank) if world_size > 1 else select_device(device)
        if precision == "fp16" and dev.type != "cuda":
            raise GensynthError(f"{option('precision', 'fp16')} needs a CUDA device; use bf16 or fp32")
        if dev.type == "cuda" and dev.index is not None:
            torch.cuda.set_device(dev)  # the current device: NCCL, RNG capture and object collectives use it
        runtime = cls(device=dev, precision=precision, rank=rank, world_size=world_size, local_rank=local_rank)
        if runtime.distributed:
            runtime._join()
        return runtime

    def _join(self) -> None:
        import torch.distributed as dist

        if not dist.is_available():
            raise GensynthError("this torch build has no torch.distributed; train with one process")
        if dist.is_initialized():  # a script that set up its own group: use it, leave it to the script
            if dist.get_world_size() != self.world_size or dist.get_rank() != self.rank:
                raise GensynthError("the process group already set up does not match RANK/WORLD_SIZE")
            return
        missing = [name for name in ("MASTER_ADDR", "MASTER_PORT") if not os.environ.get(name)]
        if missing:
            raise GensynthError(f"WORLD_SIZE={self.world_size} but {missing[0]} is not set: launch several processes "
                                f"with torchrun (torchrun --nproc-per-node {self.world_size} -m gensynth train ...)")
        backend = "nccl" if self.device.type == "cuda" else "gloo"
        dist.init_process_group(backend, timeout=_timeout())
        self.owns_group = True

    def close(self) -> None:
        """Leave the process group this Runtime joined (a no-op otherwise)."""
        if self.owns_group:
            import torch.distributed as dist

            self.owns_group = False
            if dist.is_initialized():
                dist.destroy_process_group()

    def __enter__(self) -> "Runtime":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- placement ------------------------------------------------------------------

    @property
    def distributed(self) -> bool:
        """Whether several processes train together (data-parallel)."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Whether this process writes logs, samples, evaluations and checkpoints (rank 0)."""
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

    def prepare(self, model: nn.Module) -> nn.Module:
        """``model`` ready for this placement: with several CUDA processes, every BatchNorm becomes a
        SyncBatchNorm (statistics over the global batch; same parameters, buffers and state-dict keys).
        torch's SyncBatchNorm runs on GPUs only; on CPU BatchNorm stays per process (docs/distributed.md)."""
        if self.distributed and self.device.type == "cuda":
            return nn.SyncBatchNorm.convert_sync_batchnorm(model)
        return model

    # -- collectives (no-ops in a single process) ---------------------------------

    def barrier(self) -> None:
        """Wait until every process gets here."""
        if self.distributed:
            import torch.distributed as dist

            # NCCL: on this process's GPU (otherwise it guesses one from the rank)
            dist.barrier(device_ids=[self.device.index]) if self.device.type == "cuda" else dist.barrier()

    def any(self, flag: bool) -> bool:
        """Whether ``flag`` is true in any process (every process must ask)."""
        if not self.distributed:
            return bool(flag)
        import torch.distributed as dist

        value = torch.tensor([int(bool(flag))], device=self.device)
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item())

    def average_(self, tensor: torch.Tensor) -> torch.Tensor:
        """Replace ``tensor`` (on this process's device) by its mean over the processes, in place."""
        if self.distributed:
            import torch.distributed as dist

            dist.all_reduce(tensor)
            tensor.div_(self.world_size)
        return tensor

    def broadcast_(self, tensor: torch.Tensor) -> torch.Tensor:
        """Overwrite ``tensor`` (on this process's device) with rank 0's, in place."""
        if self.distributed:
            import torch.distributed as dist

            dist.broadcast(tensor, src=0)
        return tensor

    def share(self, value: T) -> T:
        """Rank 0's ``value`` (a small picklable object), in every process."""
        if not self.distributed:
            return value
        import torch.distributed as dist

        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def gather(self, value: T) -> list[T] | None:
        """Every process's ``value`` (small, picklable, CPU tensors only) by rank, on rank 0; None elsewhere."""
        if not self.distributed:
            return [value]
        import torch.distributed as dist

        values: list[Any] | None = [None] * self.world_size if self.is_main else None
        dist.gather_object(value, values, dst=0)
        return values

    def on_main(self, work: Callable[[], T]) -> T | None:
        """``work()`` on rank 0 only (None elsewhere). A GensynthError it raises is raised in every process,
        with the same words, so a refusal found by rank 0 stops them all cleanly."""
        result, error = None, None
        if self.is_main:
            try:
                result = work()
            except GensynthError as exc:
                error = exc
        message = self.share("" if error is None else str(error) or type(error).__name__)
        if error is not None:
            raise error
        if message:
            raise GensynthError(message)
        return result
