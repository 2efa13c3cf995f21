"""Plugin discovery and loading, each plugin inside its own error handling.

Plugins are modules named by entry points in the ``gensynth`` group; gensynth's
own models register through that same group. Unlike pluggy's bulk
``load_setuptools_entrypoints``, every entry point is imported, validated and
called separately: a plugin that fails to import, declares an incompatible API
range, names an unknown hook or raises in a hook is recorded as a row with its
reason, and everything else keeps working. Every failure names the command
that removes or disables the plugin (:attr:`PluginRecord.remedy`).

Plugins switched off with ``gensynth plugins disable NAME`` (see
:mod:`gensynth._discovery.settings`) are listed as ``disabled`` and never imported.
An entry-point name is owned by the first distribution that declares it, and
gensynth's own distribution comes first: a third-party entry point named like a
built-in plugin is an error row and never loaded. Before any third-party plugin is
imported, :attr:`PluginManager.screen` may name those known to hang or end the
process (:mod:`gensynth._discovery.probe_cache`); they become error rows too.

Environment:

* ``GENSYNTH_PLUGINS=a,b`` loads only those third-party distributions (empty: none).
* ``GENSYNTH_STRICT=1`` turns plugin failures into errors (for plugin authors).
"""

from __future__ import annotations

import dataclasses
import os
import traceback
from importlib import metadata
from typing import Any, Callable, Collection, Iterable

import pluggy

from gensynth._discovery import hookcalls, hookspecs
from gensynth._discovery.hookspecs import REGISTRATION_HOOKS
from gensynth._errors import PluginError
from gensynth._discovery.settings import PluginKey, normalize_distribution, plugin_switches
from gensynth._version import PLUGIN_API_VERSION

ENTRY_POINT_GROUP = "gensynth"
BUILTIN_DISTRIBUTION = "gensynth"


@dataclasses.dataclass
class PluginRecord:
    """What ``gensynth plugins`` shows about one entry point."""

    name: str
    distribution: str
    version: str
    module: str
    builtin: bool
    status: str = "ok"  # ok | error | incompatible | skipped | disabled
    reason: str = ""
    warnings: list[str] = dataclasses.field(default_factory=list)
    registered: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    #: What each metric it registered reports: metric name -> ``EvaluatorSpec.values``.
    metric_values: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    #: The lifecycle hooks it implements (``on_run_end``, ...).
    hooks: list[str] = dataclasses.field(default_factory=list)
    #: Its names that another plugin owns (a model named like a built-in one): warnings
    #: that ``--strict`` turns into errors.
    conflicts: list[str] = dataclasses.field(default_factory=list)
    #: What ``gensynth plugins disable`` needs to switch off this plugin alone: its
    #: entry-point name, or its distribution's name when another distribution declares
    #: the same entry-point name (empty: the entry-point name).
    switch: str = ""
    #: It hung or ended the process when a child process loaded it.
    hostile: bool = False
    traceback: str = ""

    @property
    def key(self) -> PluginKey:
        return PluginKey(self.distribution, self.name)

    @property
    def status_text(self) -> str:
        return self.status if not self.reason else f"{self.status}: {self.reason}"

    @property
    def registers(self) -> str:
        """What the plugin registered, e.g. ``models: dcgan, mlp-gan; lifecycle hooks: on_run_end`` (empty: nothing)."""
        hooks = {"lifecycle hooks": self.hooks} if self.hooks else {}
        return "; ".join(f"{kind}: {', '.join(names)}" for kind, names in {**self.registered, **hooks}.items())

    @property
    def failed(self) -> bool:
        return self.status in ("error", "incompatible")

    @property
    def remedy(self) -> str:
        """The commands that remove or disable this plugin (a built-in can only be disabled)."""
        disable = f"gensynth plugins disable {self.switch or self.name}"
        return disable if self.builtin else f"gensynth uninstall {self.distribution}  or  {disable}"

    @property
    def label(self) -> str:
        return f"plugin {self.name!r} ({self.distribution} {self.version})"

    @property
    def problem(self) -> str:
        """What went wrong and how to get rid of it, on one line."""
        return f"{self.label}: {self.status_text} ({self.remedy})"

    def fail(self, status: str, reason: str, exc: BaseException | None = None) -> None:
        self.status, self.reason = status, reason
        self.registered, self.metric_values = {}, {}
        if exc is not None:
            self.traceback = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        if strict_mode():
            raise PluginError(self.problem) from exc

    def conflict(self, message: str) -> None:
        """Record that a name of this plugin is owned by another (an error in strict mode)."""
        self.conflicts.append(message)
        if strict_mode():
            raise PluginError(f"{self.label}: {message}")

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "module": self.module,
            "builtin": self.builtin,
            "status": self.status,
            "reason": self.reason,
            "warnings": self.warnings,
            "registered": self.registered,
            "metric_values": self.metric_values,
            "hooks": self.hooks,
            "conflicts": self.conflicts,
            "remedy": self.remedy if self.failed else "",
        }


def strict_mode() -> bool:
    return os.environ.get("GENSYNTH_STRICT", "").strip().lower() in ("1", "true", "yes", "on")


def check_strict(records: Iterable[PluginRecord]) -> None:
    """In strict mode, raise the first plugin failure or name conflict among ``records`` (found by a probe)."""
    if not strict_mode():
        return
    for record in records:
        if record.failed:
            raise PluginError(record.problem)
        if record.conflicts:
            raise PluginError(f"{record.label}: {record.conflicts[0]}")


def _allowed_third_party() -> set[str] | None:
    raw = os.environ.get("GENSYNTH_PLUGINS")
    if raw is None:
        return None
    return {normalize_distribution(n) for n in raw.split(",") if n.strip()}


def entry_points() -> list[metadata.EntryPoint]:
    """The ``gensynth`` entry points, built-ins first (reading metadata only, importing nothing)."""
    return sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: (ep.dist.name != BUILTIN_DISTRIBUTION if ep.dist else True, ep.name))


def check_api_range(declared: Any) -> str | None:
    """Return why ``declared`` (e.g. ``">=1,<2"``) excludes this API version, or None."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        spec = SpecifierSet(str(declared))
    except InvalidSpecifier:
        return f"declares an invalid GENSYNTH_API range {declared!r}"
    if str(PLUGIN_API_VERSION) not in spec:
        return f"needs gensynth API {declared}, this is {PLUGIN_API_VERSION}"
    return None


class PluginManager:
    """Loads plugins one by one and calls their hooks in isolation."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.records: list[PluginRecord] = []
        self._hook_names = hookcalls.hook_names()
        #: Called with a plugin's record right before its code runs (import, registration
        #: hooks), so that an isolated probe can tell which plugin hung or crashed.
        self.on_plugin_code: Callable[[PluginRecord], None] | None = None
        #: Called with the third-party entry points about to be imported; returns the
        #: plugins not to import, with the reason (those known to hang or end the process).
        self.screen: Callable[[list[tuple[metadata.EntryPoint, PluginRecord]]], dict[PluginKey, str]] | None = None

    def entering(self, record: PluginRecord) -> None:
        """Announce that ``record``'s plugin code is about to run."""
        if self.on_plugin_code is not None:
            self.on_plugin_code(record)

    # -- loading ------------------------------------------------------------

    def load_entry_points(self, exclude: Collection[str] = ()) -> None:
        """Import and register every entry point; those named in ``exclude`` are skipped."""
        allowed = _allowed_third_party()
        switches = plugin_switches()
        points = entry_points()
        declared: dict[str, int] = {}
        for ep in points:
            declared[ep.name] = declared.get(ep.name, 0) + 1
        seen: dict[str, PluginRecord] = {}
        pending: list[tuple[metadata.EntryPoint, PluginRecord]] = []
        for ep in points:
            dist = ep.dist
            record = PluginRecord(
                name=ep.name,
                distribution=dist.name if dist else "?",
                version=dist.version if dist else "?",
                module=ep.value,
                builtin=bool(dist and dist.name == BUILTIN_DISTRIBUTION),
            )
            if declared[ep.name] > 1 and not record.builtin:
                record.switch = record.distribution  # its entry-point name would switch off the others too
            self.records.append(record)
            owner = seen.setdefault(ep.name, record)
            if switches.is_disabled(record.key):
                record.status = "disabled"
                record.reason = f"turn it back on with `gensynth plugins enable {record.switch or ep.name}`"
                continue
            if not record.builtin and allowed is not None and normalize_distribution(record.distribution) not in allowed:
                record.status, record.reason = "skipped", "not listed in GENSYNTH_PLUGINS"
                continue
            if owner is not record:
                held = "a built-in plugin of gensynth" if owner.builtin else f"the plugin of {owner.distribution}"
                record.fail("error", f"entry-point name {ep.name!r} is already {held}, which this one does not "
                                     "replace: it is not loaded; rename its entry point")
                continue
            if ep.name in exclude:
                record.status, record.reason = "skipped", "excluded from this discovery"
                continue
            pending.append((ep, record))
        third_party = [(ep, r) for ep, r in pending if not r.builtin]
        hostile = self.screen(third_party) if self.screen and third_party else {}
        for ep, record in pending:
            if record.key in hostile:
                record.hostile = True
                record.fail("error", f"{hostile[record.key]}, in a separate process (`gensynth plugins` tries "
                                     "again), so it is not imported here")
                continue
            self.entering(record)
            self._load_one(ep, record)

    def _load_one(self, ep: metadata.EntryPoint, record: PluginRecord) -> None:
        try:
            module = ep.load()
        except BaseException as exc:  # noqa: BLE001 - a plugin may raise anything, SystemExit included
            if isinstance(exc, KeyboardInterrupt):
                raise
            record.fail("error", f"failed to import: {type(exc).__name__}: {exc}", exc)
            return
        self.add_plugin(module, record)

    def add_plugin(self, plugin: Any, record: PluginRecord) -> None:
        """Validate and register one plugin object (a module or any object with hookimpls)."""
        declared = getattr(plugin, "GENSYNTH_API", None)
        if declared is None:
            if not record.builtin:
                record.warnings.append("declares no GENSYNTH_API range; assuming it is compatible")
        else:
            problem = check_api_range(declared)
            if problem:
                record.fail("incompatible", problem)
                return
        implemented = hookcalls.implemented_names(plugin)
        unknown = [n for n in implemented if n not in self._hook_names]
        if unknown:
            record.fail("error", f"implements unknown hook {unknown[0]!r}; known hooks: {', '.join(sorted(self._hook_names))}")
            return
        refused = hookcalls.register(self.pm, plugin, record.name)
        if refused:
            record.fail("error", refused)
            return
        record.hooks = [n for n in implemented if n not in REGISTRATION_HOOKS]
        if record not in self.records:
            self.records.append(record)

    def unregister(self, record: PluginRecord) -> None:
        if self.pm.get_plugin(record.name) is not None:
            self.pm.unregister(name=record.name)

    def record(self, name: str) -> PluginRecord | None:
        return next((r for r in self.records if r.name == name), None)
