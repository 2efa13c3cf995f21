"""This process's place among a run's processes, as the launcher (torchrun) set it, read without torch.

The one place that reads where torchrun placed this process (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``). ``gensynth train`` decides before torch loads whether this process writes the
run directory (and so takes its lock); the :class:`~gensynth._training.runtime.Runtime`
reads the same values, so both agree.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator

from gensynth._errors import GensynthError


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value.strip() else default
    except ValueError:
        raise GensynthError(f"environment variable {name}={value!r} is not a number; "
                            "launch with torchrun, which sets it") from None


def launched_rank() -> int:
    """This process's global rank (torchrun's ``RANK``); 0 for a single process."""
    return _env_int("RANK", 0) if launched_world_size() > 1 else 0


def launched_local_rank() -> int:
    """This process's rank on its machine (torchrun's ``LOCAL_RANK``); 0 for a single process."""
    return _env_int("LOCAL_RANK", 0)


def launched_world_size() -> int:
    """How many processes train the run (torchrun's ``WORLD_SIZE``); 1 for a single process."""
    return max(_env_int("WORLD_SIZE", 1), 1)


def launched_local_world_size() -> int:
    """How many processes the launcher started on this machine (torchrun's ``LOCAL_WORLD_SIZE``); 1 for a single
    process."""
    return max(_env_int("LOCAL_WORLD_SIZE", 1), 1)


def writes_run_dir() -> bool:
    """Whether this process writes the run directory: the main process (rank 0) only."""
    return launched_rank() == 0


@contextlib.contextmanager
def refused_together() -> Iterator[None]:
    """Checks that only rank 0 can make (the run directory's lock and checkpoints) refuse every process at once.

    Under a plain torchrun launch a refusal in rank 0 ends it before the process group
    exists, and torchrun stops the others. In a process group the caller set up
    before (a script that trains several times in one group), the others would go
    on into training and wait for rank 0 in a collective: so every process gathers
    what each refused (the first message, by rank, is raised in all of them) and
    goes on only when none did. Without such a group nothing is exchanged and torch is not imported.
    """
    refusal: Exception | None = None
    try:
        yield
    except Exception as exc:  # every rank must reach the exchange, whatever stopped it
        refusal = exc
    dist = sys.modules.get("torch.distributed")  # a caller's group means torch is loaded already
    if dist is not None and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        if dist.get_backend() == "nccl":  # object collectives run on the current GPU: this process's own, as
            sys.modules["torch"].cuda.set_device(launched_local_rank())  # the Runtime will set it
        mine = None if refusal is None else str(refusal) if isinstance(refusal, GensynthError) else repr(refusal)
        messages: list[str | None] = [None] * dist.get_world_size()
        dist.all_gather_object(messages, mine)
        first = next((message for message in messages if message is not None), None)
        if first is not None and first != mine:
            raise GensynthError(first) from refusal
    if refusal is not None:
        raise refusal
