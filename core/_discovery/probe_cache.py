"""What the child-process probe found, kept so that in-process discovery never runs a hostile plugin.

A plugin that hangs while it is imported or ends the process (``os._exit``) cannot be
survived in the process that imports it. :func:`~gensynth._discovery.probe.probe_records`
survives it in a child process; this module remembers the child's verdict on each
third-party plugin, so that ``list-models``, ``info``, ``train`` and the rest
(:func:`~gensynth._discovery.registry.get_registry`) skip the plugins found hostile and
import only those a probe has loaded.

Each verdict carries the plugin's *stamp*: gensynth's version and interpreter, the
distribution's name, version and entry point, the modification time of the folder it
is installed in (any install, upgrade or removal in that folder changes it), and for
an editable install the size and modification time of every ``.py`` file of the
plugin's top-level package. :func:`screen` runs before in-process discovery imports
any third-party plugin: when every plugin about to be imported has a verdict with its
current stamp, it costs a few ``stat`` calls and one small JSON read; otherwise it runs
one probe (a child process) first. ``gensynth install`` and ``gensynth plugins`` probe
anyway and leave their verdicts here, so the first listing after them needs no probe.
Built-in plugins are never screened.

The file is ``<cache folder>/plugins/probe-<interpreter digest>.json`` (one per
environment), written atomically; an unreadable or unwritable file only costs probes.
It also keeps what each plugin registered the last time it loaded, so that an
unknown model can be traced to a plugin that no longer loads or is disabled
(:func:`last_registered`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

from gensynth._discovery.distributions import editable_location
from gensynth._discovery.loader import PluginRecord, entry_points
from gensynth._discovery.settings import PluginKey, cache_dir
from gensynth._errors import GensynthError
from gensynth._version import PLUGIN_API_VERSION, __version__


def cache_file() -> Path:
    interpreter = hashlib.sha256(f"{sys.prefix}\0{sys.executable}".encode()).hexdigest()[:16]
    return cache_dir() / "plugins" / f"probe-{interpreter}.json"


def _read(section: str) -> dict[str, dict[str, Any]]:
    """One section of the file (``verdicts`` or ``registered``); anything unreadable counts as absent."""
    try:
        content = json.loads(cache_file().read_text())
        entries = content.get(section, {})
    except (OSError, ValueError, AttributeError):
        return {}
    return {k: v for k, v in entries.items() if isinstance(v, dict)} if isinstance(entries, dict) else {}


def _write(content: dict[str, Any]) -> None:
    from gensynth._training.atomic import write_json_atomic

    try:
        write_json_atomic(cache_file(), content)
    except OSError:
        pass  # a read-only cache folder only means probing again next time


def _slot(key: PluginKey) -> str:
    return f"{key.distribution}/{key.plugin}"


# -- stamps ------------------------------------------------------------------------


class _Stamps:
    """Stamps of entry points, sharing the ``stat`` of folders several distributions live in."""

    def __init__(self) -> None:
        self._folders: dict[str, int] = {}

    def of(self, ep: metadata.EntryPoint, record: PluginRecord) -> str:
        dist = ep.dist
        assert dist is not None
        folder = str(dist.locate_file(""))
        if folder not in self._folders:
            try:
                self._folders[folder] = os.stat(folder).st_mtime_ns
            except OSError:
                self._folders[folder] = 0
        parts: list[Any] = [__version__, str(PLUGIN_API_VERSION), sys.executable, record.distribution, record.version,
                            ep.name, ep.value, folder, self._folders[folder]]
        if editable_location(dist):
            parts.append(_source_files(ep.value.partition(":")[0].split(".")[0]))
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


def _source_files(top_level: str) -> list[tuple[str, int, int]]:
    """``(path, mtime_ns, size)`` of the ``.py`` files of an importable top-level package (imports nothing)."""
    try:
        spec = importlib.util.find_spec(top_level)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    roots = list(spec.submodule_search_locations or [])
    files = [] if roots or not spec.origin else [spec.origin]
    for root in roots:
        for folder, subfolders, names in os.walk(root):
            subfolders[:] = [d for d in subfolders if d != "__pycache__" and not d.startswith(".")]
            files += [os.path.join(folder, n) for n in names if n.endswith(".py")]
    stamps = []
    for path in sorted(files):
        try:
            info = os.stat(path)
        except OSError:
            continue
        stamps.append((path, info.st_mtime_ns, info.st_size))
    return stamps


# -- verdicts ----------------------------------------------------------------------


def screen(pending: list[tuple[metadata.EntryPoint, PluginRecord]]) -> dict[PluginKey, str]:
    """The plugins of ``pending`` (third-party, about to be imported) not to import, with the reason.

    Probes in a child process first when one of them has no verdict for its current stamp.
    """
    points = [(ep, record) for ep, record in pending if ep.dist is not None]
    if not points:
        return {}
    stamps = _Stamps()
    current = {record.key: stamps.of(ep, record) for ep, record in points}
    verdicts = _read("verdicts")
    if all(verdicts.get(_slot(key), {}).get("stamp") == stamp for key, stamp in current.items()):
        return {key: verdicts[_slot(key)]["reason"] for key in current if verdicts[_slot(key)].get("hostile")}
    from gensynth._discovery.probe import probe_records, probe_timeout  # a child process; remembers its verdicts

    probe_timeout()  # a wrong GENSYNTH_PLUGIN_TIMEOUT is the user's error, not the probe's
    try:
        records = probe_records()
    except GensynthError:  # the probe itself could not run: import as if there were no probe
        return {}
    return {r.key: r.reason for r in records if r.hostile and r.key in current}


def remember(records: Iterable[PluginRecord]) -> None:
    """Keep a probe's verdicts, and what each plugin that loaded registered."""
    by_key = {record.key: record for record in records}
    stamps = _Stamps()
    verdicts, registered = _read("verdicts"), _read("registered")
    for ep in entry_points():
        record = by_key.get(PluginKey(ep.dist.name, ep.name)) if ep.dist is not None else None
        if record is None or record.status in ("skipped", "disabled"):
            continue  # not loaded by this probe: keep what an earlier one found
        slot = _slot(record.key)
        if not record.builtin:
            verdicts[slot] = {"stamp": stamps.of(ep, record), "hostile": record.hostile, "status": record.status,
                              "reason": record.reason}
        if record.status == "ok":
            registered[slot] = {"version": record.version, "registered": record.registered, "hooks": record.hooks}
    _write({"verdicts": verdicts, "registered": registered})


def last_registered() -> dict[PluginKey, dict[str, Any]]:
    """What each plugin registered when a probe last loaded it: ``{"version", "registered", "hooks"}``."""
    out = {}
    for slot, entry in _read("registered").items():
        distribution, _, plugin = slot.partition("/")
        if isinstance(entry.get("registered"), dict):
            out[PluginKey(distribution, plugin)] = entry
    return out
