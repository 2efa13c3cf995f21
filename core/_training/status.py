"""``RUN_DIR/status.json``: whether a run is running, completed, interrupted or failed, and how far it got.

The Trainer's main process writes it (atomically) when training starts, at most
every :data:`BEAT_SECONDS` while it runs, and when it ends::

    {"status": "running", "step": 1200, "total_steps": 3000, "pid": 4242, "host": "node7",
     "started": "2026-11-24T10:00:00Z", "updated": "2026-11-24T10:01:10Z"}

A failed run adds ``"error"``, the one-line reason. A run whose file says
``running`` but whose process is gone (killed, machine rebooted) reads as
``interrupted`` (:func:`effective_status`). Torch-free.
"""

from __future__ import annotations

import json
import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gensynth._training.atomic import write_json_atomic
from gensynth._training.layout import STATUS

#: How often (seconds) a running run rewrites its status with the current step.
BEAT_SECONDS = 15.0
STATUSES = ("running", "completed", "interrupted", "failed")


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_status(run_dir: str | Path) -> dict[str, Any] | None:
    """The status record of a run, or None when it has none (an older run) or it cannot be read."""
    try:
        record = json.loads((Path(run_dir) / STATUS).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("status") in STATUSES else None


def process_alive(record: dict[str, Any]) -> bool | None:
    """Whether the process that wrote ``record`` still runs; None when it ran on another host."""
    if record.get("host") != socket.gethostname():
        return None
    try:
        os.kill(int(record.get("pid", -1)), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, OverflowError):
        return True
    except OSError:
        return False
    return True


def effective_status(record: dict[str, Any]) -> str:
    """``running`` only while the writing process lives (or runs elsewhere); a vanished one is ``interrupted``."""
    if record["status"] == "running" and process_alive(record) is False:
        return "interrupted"
    return record["status"]


class StatusWriter:
    """Writes one run's ``status.json``; ``enabled=False`` (processes other than the main one) writes nothing."""

    def __init__(self, run_dir: str | Path, total_steps: int, enabled: bool = True) -> None:
        self.path = Path(run_dir) / STATUS
        self.enabled = enabled
        self.record: dict[str, Any] = {"status": "running", "step": 0, "total_steps": total_steps,
                                       "pid": os.getpid(), "host": socket.gethostname(), "started": utc_now()}
        self._last = 0.0

    def begin(self, step: int) -> None:
        self._write(step)

    def beat(self, step: int) -> None:
        """Record the current step, at most every :data:`BEAT_SECONDS`."""
        if time.monotonic() - self._last >= BEAT_SECONDS:
            self._write(step)

    def end(self, status: str, step: int, error: str | None = None) -> None:
        self.record["status"] = status
        if error:
            self.record["error"] = error
        self._write(step)

    def _write(self, step: int) -> None:
        if not self.enabled:
            return
        self._last = time.monotonic()
        self.record.update(step=step, updated=utc_now())
        try:
            write_json_atomic(self.path, self.record)
        except OSError:  # a status that cannot be written must not stop training
            pass
