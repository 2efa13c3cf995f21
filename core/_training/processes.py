"""This process's place among a run's processes, as the launcher (torchrun) set it, read without torch.

The one place that reads where torchrun placed this process (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``). ``gensynth train`` decides before torch loads whether this process writes the
run directory (and so takes its lock); the :class:`~gensynth._training.runtime.Runtime`
reads the same values, so both agree.
"""

from __future__ import annotations

import os

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
