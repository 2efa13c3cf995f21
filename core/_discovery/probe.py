"""Discovering plugins in a child process, so that no plugin code runs in the caller.

``gensynth plugins``, the check after ``gensynth install`` and in-process discovery
(before it imports a third-party plugin it knows nothing about, see
:mod:`gensynth._discovery.probe_cache`) must work even when an installed plugin
hangs on import, calls ``os._exit`` or kills its process. They call
:func:`probe_records`, which runs the ordinary discovery
(:class:`~gensynth._discovery.loader.PluginManager` + :class:`~gensynth._discovery.registry.Registry`)
in a fresh interpreter (``python -P -m gensynth._discovery.probe``) under a time limit
(``GENSYNTH_PLUGIN_TIMEOUT`` seconds, default 30).

The child writes one JSON line to its stdout before any plugin's code runs
(``{"running": record}``) and one at the end (``{"records": [...]}``, or
``{"error": message}`` when the plugin settings are unreadable); plugins' own prints
go to stderr. When the child does not finish, the last ``running`` line names the culprit: it is recorded
as an error (``hostile``) and discovery runs again without it, until a run completes.

A fresh interpreter also sees what pip has just installed (``.pth`` files of
editable installs are only read at start-up).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from typing import IO, Any

from gensynth._errors import GensynthError, PluginError
from gensynth._discovery.loader import PluginManager, PluginRecord

TIMEOUT_ENV = "GENSYNTH_PLUGIN_TIMEOUT"
DEFAULT_TIMEOUT = 30.0


@dataclasses.dataclass
class _ChildRun:
    """What one child process reported."""

    records: list[PluginRecord] | None = None
    running: PluginRecord | None = None
    error: str | None = None
    problem: str = ""


def probe_timeout() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "")
    try:
        value = float(raw) if raw.strip() else DEFAULT_TIMEOUT
    except ValueError:
        raise GensynthError(f"{TIMEOUT_ENV} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise GensynthError(f"{TIMEOUT_ENV} must be positive, got {raw!r}")
    return value


def probe_records() -> list[PluginRecord]:
    """Every plugin's row, found by a child process; hanging or crashing plugins become error rows.

    The verdicts are remembered (:mod:`gensynth._discovery.probe_cache`) for in-process
    discovery. Strict mode is not applied here (see :func:`~gensynth._discovery.loader.check_strict`).
    """
    from gensynth._discovery.probe_cache import remember

    timeout = probe_timeout()
    culprits: dict[str, PluginRecord] = {}
    while True:
        run = _run_child(sorted(culprits), timeout)
        if run.error is not None:
            raise PluginError(run.error)
        if run.records is not None:
            records = [_replace_excluded(r, culprits) for r in run.records]
            remember(records)
            return records
        if run.running is None or run.running.name in culprits:
            raise GensynthError(f"could not list plugins: discovery failed before any plugin ran ({run.problem})")
        culprit = run.running
        culprit.status, culprit.reason, culprit.registered, culprit.hostile = "error", run.problem, {}, True
        culprits[culprit.name] = culprit


def _replace_excluded(record: PluginRecord, culprits: dict[str, PluginRecord]) -> PluginRecord:
    culprit = culprits.get(record.name)
    if culprit is not None and culprit.distribution == record.distribution and record.status == "skipped":
        return culprit
    return record


def _run_child(exclude: list[str], timeout: float) -> _ChildRun:
    # -P: the caller's working folder is not the child's first import path (a folder named
    # gensynth there would shadow the installed package); strict mode is the caller's business.
    command = [sys.executable, "-P", "-m", "gensynth._discovery.probe", *exclude]
    env = {**os.environ, "GENSYNTH_STRICT": ""}
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, env=env)
    except subprocess.TimeoutExpired as exc:
        run = _parse(exc.stdout or b"")
        run.problem = f"loading did not finish within {timeout:g} s (set {TIMEOUT_ENV} to wait longer)"
        return run
    run = _parse(done.stdout)
    if run.records is None and run.error is None:
        code = done.returncode
        how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        last = (done.stderr or b"").decode(errors="replace").strip().splitlines()[-1:]
        run.problem = f"the plugin ended the process while loading ({how})" + (f": {last[0]}" if last else "")
    return run


def _parse(stdout: bytes) -> _ChildRun:
    run = _ChildRun()
    for line in stdout.decode(errors="replace").splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict):
            continue
        if "running" in message:
            run.running = PluginRecord(**message["running"])
        elif "records" in message:
            run.records = [PluginRecord(**r) for r in message["records"]]
        elif "error" in message:
            run.error = str(message["error"])
    return run


def _send(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def main(exclude: list[str]) -> None:
    """The child: discover plugins (except ``exclude``) and report on the real stdout."""
    from gensynth._discovery.registry import Registry

    out, sys.stdout = sys.stdout, sys.stderr  # plugins' prints must not garble the report
    manager = PluginManager()
    manager.on_plugin_code = lambda record: _send(out, {"running": dataclasses.asdict(record)})
    try:
        manager.load_entry_points(exclude=set(exclude))
        registry = Registry(manager)
        registry.collect()
        registry.check_names()
    except GensynthError as exc:  # unreadable plugin settings
        _send(out, {"error": str(exc)})
        return
    _send(out, {"records": [dataclasses.asdict(r) for r in manager.records]})


if __name__ == "__main__":
    main(sys.argv[1:])
