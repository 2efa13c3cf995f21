"""Installing and removing plugin packages, in the interpreter gensynth itself runs in.

pip runs as ``<python> -m pip``; where this interpreter has no pip, ``uv pip ...
--python <python>`` is used instead. After installing, the plugins are discovered
again in a fresh process (:func:`gensynth._discovery.probe.probe_records`) and every
distribution the installer added or changed is checked: it must declare a plugin,
the plugin must load, and it must register something or implement a lifecycle hook.
Names it registers that a built-in plugin holds are warnings (errors with ``--strict``),
and what it registers is compared with what it registered when it last loaded.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
from typing import Iterable, Sequence

from gensynth._errors import GensynthError
from gensynth._discovery.loader import PluginRecord, strict_mode
from gensynth._discovery.distributions import (
    PluginDistribution, distribution_fingerprints, editable_location, find_plugin_distribution, plugin_distributions,
)
from gensynth._discovery.probe import probe_records
from gensynth._discovery.settings import PluginKey, normalize_distribution, plugin_switches, save_switches


@dataclasses.dataclass(frozen=True)
class Installer:
    """The package installer to run: ``pip`` of this interpreter, or ``uv pip`` aimed at it."""

    tool: str
    command: tuple[str, ...]
    python: str

    def install_command(self, args: Sequence[str]) -> list[str]:
        target = ["--python", self.python] if self.tool == "uv" else []
        return [*self.command, "install", *target, *args]

    def uninstall_command(self, names: Sequence[str]) -> list[str]:
        if self.tool == "uv":
            return [*self.command, "uninstall", "--python", self.python, *names]
        return [*self.command, "uninstall", "-y", *names]

    @property
    def description(self) -> str:
        return f"{self.tool} ({' '.join(self.command)}) for {self.python}, the interpreter gensynth runs in"

    def run(self, command: list[str], verbose: bool = False) -> None:
        """Run ``command``; its output is shown as it comes with ``verbose``, else only when it fails."""
        result = subprocess.run(command, **({} if verbose else {"capture_output": True, "text": True}))
        if result.returncode != 0:
            if not verbose:
                sys.stderr.write((result.stdout or "") + (result.stderr or ""))
                sys.stderr.flush()
            raise GensynthError(f"{self.tool} failed with exit code {result.returncode} (see its output above): "
                                f"{shlex.join(command)}")


def find_installer() -> Installer:
    """pip of this interpreter, else uv; a GensynthError saying how to get one when neither is there."""
    python = sys.executable
    if importlib.util.find_spec("pip") is not None:
        return Installer("pip", (python, "-m", "pip"), python)
    uv = shutil.which("uv")
    if uv:
        return Installer("uv", (uv, "pip"), python)
    raise GensynthError(f"neither pip nor uv is available for {python}: install pip with "
                        f"`{python} -m ensurepip` or install uv, then run this again")


@dataclasses.dataclass
class InstallReport:
    """What an install changed: the plugins of new or changed distributions, and what is wrong with them."""

    changed: list[str]
    plugins: list[PluginRecord]
    problems: list[str]
    notes: list[str]
    warnings: list[str] = dataclasses.field(default_factory=list)
    #: Per plugin (its record's key): what it registers now that it did not when it last loaded, and the reverse.
    changes: dict[PluginKey, list[str]] = dataclasses.field(default_factory=dict)


def install(args: Sequence[str], installer: Installer | None = None, verbose: bool = False) -> InstallReport:
    """Run ``<installer> install ARGS`` (its output only when it fails, unless ``verbose``) and check every
    plugin it added or changed.

    A distribution counts as changed when its files or version changed, or when it is the
    editable install of a ``-e PATH`` in ``args`` (reinstalling an edited plugin changes no
    file pip knows of). Each changed plugin is compared with what it registered when a
    probe last loaded it.
    """
    from gensynth._discovery.probe_cache import last_registered

    installer = installer or find_installer()
    before, previously = distribution_fingerprints(), last_registered()
    installer.run(installer.install_command(args), verbose)
    importlib.invalidate_caches()
    after = distribution_fingerprints()
    changed = sorted({name for name, digest in after.items() if before.get(name) != digest} | _editables(args))
    report = InstallReport(changed, [], [], [])
    if not changed:
        report.notes.append("nothing was installed or changed: it is already installed (-U upgrades)")
        return report
    records = probe_records()
    report.plugins = [r for r in records if normalize_distribution(r.distribution) in changed]
    if not report.plugins:
        report.problems.append(
            f"{installer.tool} installed {', '.join(changed)}, but none of it is a gensynth plugin (no entry point "
            f"in group 'gensynth'); remove it with `{shlex.join(installer.uninstall_command(changed))}`")
    for record in report.plugins:
        _check_installed(record, records, report)
        if record.status == "ok" and record.key in previously:
            report.changes[record.key] = registration_changes(previously[record.key], record)
    return report


def _editables(args: Sequence[str]) -> set[str]:
    """The distributions installed in editable mode from the ``-e PATH`` folders of ``args``."""
    folders = {os.path.realpath(path) for flag, path in zip(args, args[1:]) if flag in ("-e", "--editable")}
    return {normalize_distribution(d.name) for d in plugin_distributions()
            if (location := editable_location(d.dist)) and os.path.realpath(location) in folders}


def registration_changes(previous: dict, record: PluginRecord) -> list[str]:
    """``added models: a; removed losses: b`` lines between what a plugin registered before and now."""
    before = {**previous.get("registered", {}), "lifecycle hooks": previous.get("hooks", [])}
    now = {**record.registered, "lifecycle hooks": record.hooks}
    lines = []
    for kind in dict.fromkeys([*now, *before]):
        added = [n for n in now.get(kind, []) if n not in before.get(kind, [])]
        removed = [n for n in before.get(kind, []) if n not in now.get(kind, [])]
        lines += [f"added {kind}: {', '.join(added)}"] if added else []
        lines += [f"removed {kind}: {', '.join(removed)}"] if removed else []
    if previous.get("version") != record.version:
        lines.insert(0, f"version {previous.get('version')} -> {record.version}")
    return lines


def _check_installed(record: PluginRecord, records: list[PluginRecord], report: InstallReport) -> None:
    if record.failed:
        report.problems.append(f"installed, but {record.problem}")
    elif record.status == "ok" and not (record.registered or record.hooks):
        report.problems.append(f"installed, but {record.label} registers nothing and implements no hook "
                               f"({record.remedy})")
    elif record.status != "ok":
        report.notes.append(f"plugin {record.name!r} is installed but not loaded: {record.status_text}")
    for conflict in record.conflicts:
        (report.problems if strict_mode() else report.warnings).append(f"{record.label}: {conflict}")
    for name in record.registered.get("models", []):
        others = [r.name for r in records if r is not record and not r.builtin and name in r.registered.get("models", [])]
        if others:
            report.notes.append(f"model name {name!r} is also registered by plugin {', '.join(others)}: "
                                f"refer to it as {record.name}:{name}")


def uninstall_targets(names: Sequence[str]) -> list[PluginDistribution]:
    """The plugin distributions that ``names`` (distribution or plugin names) refer to, from metadata only."""
    targets = list(dict.fromkeys(find_plugin_distribution(name) for name in names))
    for target in targets:
        if target.builtin:
            raise GensynthError(f"{', '.join(target.plugins)} are part of gensynth itself and cannot be uninstalled; "
                                "switch a built-in plugin off with `gensynth plugins disable NAME`")
    return targets


def uninstall(targets: Sequence[PluginDistribution], installer: Installer | None = None, verbose: bool = False) -> None:
    """Remove plugin distributions; a GensynthError when one is still there afterwards."""
    installer = installer or find_installer()
    installer.run(installer.uninstall_command([t.name for t in targets]), verbose)
    importlib.invalidate_caches()
    remaining = {normalize_distribution(d.name): d for d in plugin_distributions()}
    for target in targets:
        if normalize_distribution(target.name) in remaining:
            raise GensynthError(f"{target.name} is still installed: {installer.tool} could not remove it from this "
                                f"environment (installed with --user or in a system folder?); remove it with the "
                                "pip that installed it")
    _forget_disabled(targets, remaining.values())


def _forget_disabled(removed: Sequence[PluginDistribution], remaining: Iterable[PluginDistribution]) -> None:
    """Drop removed plugins from the plugin switches, so that a later reinstall starts enabled."""
    still = {normalize_distribution(d.name) for d in remaining}
    declared = {name for dist in remaining for name in dist.plugins}
    gone = {normalize_distribution(d.name) for d in removed} - still
    switches = plugin_switches()
    keys = {k for k in switches.keys if k.distribution in gone}
    names = {name for dist in removed for name in dist.plugins if name in switches.legacy_names and name not in declared}
    if keys or names:
        save_switches(switches.enabling(keys, names))
