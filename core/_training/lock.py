"""One writer per run directory: an advisory lock held for as long as a process writes the run.

The lock is ``fcntl.flock`` on ``RUN_DIR/.lock``, which holds the owner's pid,
host and start time as JSON. The kernel releases a flock when the process that
holds it ends, however it ends (kill -9 included), so a lock left by a killed
process is never stale as far as the lock is concerned: the next writer takes
it atomically and rewrites the owner's details. There is no pid check and no
timeout to get wrong. A second writer that finds the lock held is refused with
one line naming the holder.

* The lock file is removed when its owner releases it (and the run directory
  too, when the owner created it, or claimed it just before taking the lock
  (``created``: a new default ``runs/<model>-<n>``), and wrote nothing), so a
  refused command leaves the run exactly as it was. Removal is safe against a writer that
  opened the old file just before: after taking the lock, a writer checks
  that the path still names the file it locked and starts over if not.
* A process holds a run's lock once; taking it again in the same thread nests
  (``api.train`` takes it before it reads the run, the Trainer again while it
  writes). Another thread of the same process is refused like another process.
* Children forked while the lock is held (DataLoader workers) close their copy
  of its file descriptor at once, so a lock never outlives its owner in them.
* flock is POSIX (Linux, macOS); on Linux it also works across the hosts of an
  NFS mount (the kernel maps it onto NFS byte-range locks).
"""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import json
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any, Sequence

from gensynth._errors import GensynthError
from gensynth._naming import option
from gensynth._training.status import utc_now


LOCK_NAME = ".lock"
RETRY_SECONDS = 0.5
"""How long a writer keeps trying before it is refused (covers a holder that is just letting go)."""


@dataclasses.dataclass(frozen=True)
class Holder:
    """Who holds a run's lock, as its owner wrote it."""

    pid: int | None
    host: str
    since: str
    command: str = ""

    def describe(self) -> str:
        who = f"process {self.pid}" if self.pid else "another process"
        where = f" on {self.host}" if self.host else ""
        what = f" ({self.command})" if self.command else ""
        return f"{who}{where}{what}" + (f" since {self.since}" if self.since else "")


@dataclasses.dataclass
class _Held:
    fd: int
    thread: int
    depth: int
    created: list[Path]


_held: dict[Path, _Held] = {}
_guard = threading.Lock()


def _close_in_child() -> None:
    for held in _held.values():
        try:
            os.close(held.fd)  # closing a copy keeps the parent's lock; only LOCK_UN or the last close releases it
        except OSError:
            pass
    _held.clear()


os.register_at_fork(after_in_child=_close_in_child)


def holder(run_dir: str | os.PathLike) -> Holder | None:
    """The holder of ``run_dir``'s lock, or None when no process holds it (reads only)."""
    path = Path(run_dir) / LOCK_NAME
    key = _key(Path(run_dir))
    if key in _held:
        return _read_holder(_held[key].fd)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        if _try_lock(fd, shared=True):
            return None
        return _read_holder(fd)
    finally:
        os.close(fd)  # closing releases the shared lock taken to look


class RunLock:
    """``with RunLock(run_dir, "gensynth train"):`` owns ``run_dir`` (created if missing) until the block ends.

    ``enabled=False`` makes it a no-op, for processes that do not write the run
    (the non-main ranks of a multi-process run). ``created`` are folders this
    command made just before (``run_dir`` itself and its new parents, deepest
    first); they are removed like the ones the lock creates.
    """

    def __init__(self, run_dir: str | os.PathLike, command: str = "", *, enabled: bool = True,
                 created: Sequence[Path] = ()) -> None:
        self.path = Path(run_dir)
        self.command = command
        self.enabled = enabled
        self.created = list(created)

    def __enter__(self) -> RunLock:
        if self.enabled:
            acquire(self.path, self.command, self.created)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.enabled:
            release(self.path)


def acquire(run_dir: Path, command: str = "", created: Sequence[Path] = ()) -> None:
    """Take ``run_dir``'s lock or raise a one-line GensynthError naming its holder; ``created``: see
    :class:`RunLock` (ignored when the lock is already held, by whoever created the folder)."""
    key = _key(run_dir)
    with _guard:
        held = _held.get(key)
        if held is not None:
            if held.thread != threading.get_ident():
                raise GensynthError(f"run directory {run_dir} is being written by another thread of this process; "
                                    f"wait for it to finish or choose another {option('out')} folder")
            held.depth += 1
            return
        created = [*_make_dirs(run_dir), *created]
        try:
            fd = _lock_file(run_dir)
        except BaseException:
            _remove_created(created)
            raise
        _write_holder(fd, command)
        _held[key] = _Held(fd, threading.get_ident(), 1, created)


def release(run_dir: Path) -> None:
    """Let go of ``run_dir``'s lock (the outermost release removes the lock file)."""
    key = _key(run_dir)
    with _guard:
        held = _held.get(key)
        if held is None:
            return
        held.depth -= 1
        if held.depth:
            return
        del _held[key]
        try:
            (run_dir / LOCK_NAME).unlink(missing_ok=True)  # still locked: a newcomer notices the file is gone
        finally:
            os.close(held.fd)
        _remove_created(held.created)


def _key(run_dir: Path) -> Path:
    return Path(os.path.abspath(run_dir))


def missing_folders(path: Path) -> list[Path]:
    """``path`` and its parents that do not exist, deepest first (what ``mkdir(parents=True)`` would create)."""
    missing = []
    for folder in [path, *path.parents]:
        if folder.exists():
            break
        missing.append(folder)
    return missing


def _make_dirs(run_dir: Path) -> list[Path]:
    """Create ``run_dir`` and its missing parents; return those created, deepest first."""
    missing = missing_folders(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_created(created: list[Path]) -> None:
    """Remove the folders the lock created when nothing was written into them."""
    for folder in created:
        try:
            folder.rmdir()
        except OSError:
            return  # not empty: the run wrote something


def _lock_file(run_dir: Path) -> int:
    path = run_dir / LOCK_NAME
    deadline = time.monotonic() + RETRY_SECONDS
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        if _try_lock(fd):
            try:
                same = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                return fd
            os.close(fd)  # the previous owner removed the file after we opened it: lock the new one
            continue
        if time.monotonic() >= deadline:
            found = _read_holder(fd)
            os.close(fd)
            who = found.describe() if found else "another process"
            raise GensynthError(f"run directory {run_dir} is in use by {who}; wait for it to finish, stop it, "
                                f"or choose another {option('out')} folder")
        os.close(fd)
        time.sleep(0.02)


def _try_lock(fd: int, shared: bool = False) -> bool:
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise


def _write_holder(fd: int, command: str) -> None:
    text = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": utc_now(), "command": command})
    os.ftruncate(fd, 0)
    os.pwrite(fd, (text + "\n").encode(), 0)


def _read_holder(fd: int) -> Holder | None:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"null")
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    pid = data.get("pid")
    return Holder(pid if isinstance(pid, int) else None, str(data.get("host", "")), str(data.get("since", "")),
                  str(data.get("command", "")))
