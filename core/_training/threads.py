"""How many CPU threads torch uses: ``--threads N``, ``GENSYNTH_THREADS``, or a default chosen from the load.

Measured on a 2-core machine (``benchmarks/threads.py``, figures in ``benchmarks/RESULTS.md``):
on a quiet machine two threads train a small DCGAN a little faster than one, but
beside one other CPU-bound process two threads are several times *slower* than one
(the threads wait for each other on an oversubscribed core). So the default gives
torch the cores that are idle now: over a fraction of a second before training,
the idle time of this process's cores (its CPU affinity, shared among the
processes of a multi-process launch on this node), rounded down, at least one.
"""

from __future__ import annotations

import os
import time

from gensynth._errors import GensynthError
from gensynth._training.processes import launched_local_world_size

ENV = "GENSYNTH_THREADS"
#: Seconds over which the idle cores are measured before training starts.
WINDOW = 0.3
#: A core counts as idle when at least ``1 - SLACK`` of it was idle.
SLACK = 0.25


def usable_cores() -> int:
    """Cores this process may run on, divided among the processes a launcher (torchrun) started on this node."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    return max(1, cores // launched_local_world_size())


def _cpu_ticks(cpus: set[int]) -> tuple[int, int] | None:
    """``(all ticks, idle ticks)`` of ``cpus`` from ``/proc/stat``; None where the kernel does not tell."""
    total = idle = 0
    try:
        with open("/proc/stat") as f:
            for line in f:
                name, *fields = line.split()
                if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cpus:
                    ticks = [int(x) for x in fields[:8]]
                    total += sum(ticks)
                    idle += ticks[3] + ticks[4]  # idle, iowait
    except (OSError, ValueError, IndexError):
        return None
    return (total, idle) if total else None


def idle_cores(window: float = WINDOW) -> float | None:
    """How many of this process's cores were idle over the last ``window`` seconds (this process sleeps
    meanwhile); None where ``/proc/stat`` cannot be read."""
    try:
        cpus = set(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None
    before = _cpu_ticks(cpus)
    time.sleep(window)
    after = _cpu_ticks(cpus)
    if before is None or after is None or after[0] <= before[0]:
        return None
    return len(cpus) * (after[1] - before[1]) / (after[0] - before[0])


def default_threads() -> int:
    """The cores idle now, rounded down unless nearly whole (at least 1, at most :func:`usable_cores`).

    Rounding down is deliberate: a thread on a core that another process keeps busy slows every
    step (the threads wait for each other), while a core left idle costs only its share of the work.
    Without ``/proc/stat`` the 1-minute load average stands in for the busy cores.
    """
    cores = usable_cores()
    idle = idle_cores()
    if idle is None:
        try:
            idle = (os.cpu_count() or 1) - os.getloadavg()[0]
        except (AttributeError, OSError):
            return cores
    share = idle / launched_local_world_size()
    return max(1, min(cores, int(share + SLACK)))


def parse_threads(value: str | int, source: str) -> int:
    try:
        threads = int(value)
    except (TypeError, ValueError):
        threads = 0
    if threads < 1:
        raise GensynthError(f"{source} must be a whole number of threads, at least 1, got {value!r}")
    return threads


def choose_threads(threads: int | None = None) -> int | None:
    """The thread count to use: ``threads``, else ``$GENSYNTH_THREADS``, else the default; ``None`` (keep
    torch's) when neither is given and ``OMP_NUM_THREADS`` is set, since the user chose it already."""
    if threads is not None:
        return parse_threads(threads, "--threads")
    if os.environ.get(ENV):
        return parse_threads(os.environ[ENV], ENV)
    if os.environ.get("OMP_NUM_THREADS"):
        return None
    return default_threads()


def use_threads(threads: int | None = None) -> int:
    """Set torch's intra-op thread count as :func:`choose_threads` decides; returns the count in use."""
    import torch

    chosen = choose_threads(threads)
    if chosen is not None and chosen != torch.get_num_threads():
        torch.set_num_threads(chosen)
    return torch.get_num_threads()
