"""Installing and removing plugin packages, in the interpreter gensynth itself runs in.

pip runs as ``<python> -m pip``; where this interpreter has no pip, ``uv pip ...
--python <python>`` is used instead. After installing, the plugins are discovered
again in a fresh process (:func:`gensynth._discovery.probe.probe_records`) and every
distribution the installer added or changed is checked: it must declare a plugin,
the plugin must load, and it must register something.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import shlex
import shutil
import subprocess
import sys
from typing import Iterable, Sequence

from gensynth._errors import GensynthError
from gensynth._discovery.loader import PluginRecord, normalize_distribution
from gensynth._discovery.distributions import (
    PluginDistribution, distribution_fingerprints, find_plugin_distribution, plugin_distributions,
)
from gensynth._discovery.probe import probe_records
from gensynth._discovery.settings import disabled_plugins, set_disabled


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

    def run(self, command: list[str]) -> None:
        result = subprocess.run(command)
        if result.returncode != 0:
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


def install(args: Sequence[str], installer: Installer | None = None) -> InstallReport:
    """Run ``<installer> install ARGS`` and check every plugin it added or changed."""
    installer = installer or find_installer()
    before = distribution_fingerprints()
    installer.run(installer.install_command(args))
    importlib.invalidate_caches()
    after = distribution_fingerprints()
    changed = sorted(name for name, digest in after.items() if before.get(name) != digest)
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
    return report


def _check_installed(record: PluginRecord, records: list[PluginRecord], report: InstallReport) -> None:
    if record.failed:
        report.problems.append(f"installed, but {record.problem}")
    elif record.status == "ok" and not record.registered:
        report.problems.append(f"installed, but plugin {record.name!r} ({record.distribution} {record.version}) "
                               f"registered nothing ({record.remedy})")
    elif record.status != "ok":
        report.notes.append(f"plugin {record.name!r} is installed but not loaded: {record.status_text}")
    for name in record.registered.get("models", []):
        others = [r.name for r in records if r is not record and name in r.registered.get("models", [])]
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


def uninstall(targets: Sequence[PluginDistribution], installer: Installer | None = None) -> None:
    """Remove plugin distributions; a GensynthError when one is still there afterwards."""
    installer = installer or find_installer()
    installer.run(installer.uninstall_command([t.name for t in targets]))
    importlib.invalidate_caches()
    remaining = {normalize_distribution(d.name): d for d in plugin_distributions()}
    for target in targets:
        if normalize_distribution(target.name) in remaining:
            raise GensynthError(f"{target.name} is still installed: {installer.tool} could not remove it from this "
                                f"environment (installed with --user or in a system folder?); remove it with the "
                                "pip that installed it")
    _forget_disabled(targets, remaining.values())


def _forget_disabled(removed: Sequence[PluginDistribution], remaining: Iterable[PluginDistribution]) -> None:
    """Drop removed plugins from the disabled list, so that a later reinstall starts enabled."""
    declared = {name for dist in remaining for name in dist.plugins}
    disabled = disabled_plugins()
    stale = {name for dist in removed for name in dist.plugins if name in disabled and name not in declared}
    if stale:
        set_disabled(disabled - stale)
