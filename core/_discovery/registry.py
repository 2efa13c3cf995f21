"""The registry: every model, loss, augmentation, metric, feature extractor and dataset that plugins declared.

Ids are ``plugin:name``. A short name held by one of gensynth's own (built-in)
plugins always means the built-in: a third-party item with the same short name is
reachable by its id only, and its plugin's row carries a conflict
(:meth:`Registry.check_names`; an error with ``--strict``). Otherwise a short name
resolves when exactly one plugin registered it; when several did, every one stays
listed under its id and the short name is an error that lists them. Nothing is
overwritten. An unknown name says which plugin that did not load may hold it.
"""

from __future__ import annotations

import difflib
import fnmatch
from typing import Any, Iterable

from gensynth._errors import GensynthError
from gensynth._naming import config_value
from gensynth._discovery.hookcalls import call_plugin
from gensynth._discovery.hookspecs import REGISTRATION_HOOKS
from gensynth._discovery.loader import PluginManager, PluginRecord
from gensynth._metadata.specs import AugmentationSpec, DatasetSpec, EvaluatorSpec, ExtractorSpec, LossSpec, ModelSpec, Spec

#: The spec of each kind (the kinds of :data:`~gensynth._discovery.hookspecs.REGISTRATION_HOOKS`).
KINDS: dict[str, type[Spec]] = {
    "models": ModelSpec,
    "losses": LossSpec,
    "augmentations": AugmentationSpec,
    "metrics": EvaluatorSpec,
    "extractors": ExtractorSpec,
    "datasets": DatasetSpec,
}


class Registry:
    """Specs by kind, filled through the registration hooks."""

    def __init__(self, manager: PluginManager) -> None:
        self.manager = manager
        self._items: dict[str, dict[str, Spec]] = {kind: {} for kind in KINDS}

    # -- filling ------------------------------------------------------------

    def collect(self) -> None:
        """Call every plugin's registration hooks through pluggy, one plugin at a time, in the order
        the plugins were loaded (:mod:`gensynth._discovery.hookcalls`)."""
        pm = self.manager.pm
        for plugin_name, plugin in pm.list_name_plugin():
            if plugin is None:  # a name pluggy blocks
                continue
            implemented = {caller.name for caller in pm.get_hookcallers(plugin) or ()}
            hooks = [name for name in REGISTRATION_HOOKS if name in implemented]
            if not hooks:
                continue
            record = self.manager.record(plugin_name)
            if record is None:  # an object registered directly (tests, notebooks)
                record = PluginRecord(plugin_name, "(in process)", "", plugin_name, builtin=False)
                self.manager.records.append(record)
            self.manager.entering(record)
            self._collect_plugin(record, plugin, hooks)

    def _collect_plugin(self, record: PluginRecord, plugin: object, hooks: list[str]) -> None:
        staged: dict[str, dict[str, Spec]] = {kind: {} for kind in KINDS}
        try:
            for hook_name in hooks:
                kind = REGISTRATION_HOOKS[hook_name]
                register = self._register_callback(record, hook_name, kind, staged[kind])
                call_plugin(self.manager.pm, hook_name, plugin, {"register": register})
        except Exception as exc:
            self.manager.unregister(record)
            record.fail("error", f"{type(exc).__name__}: {exc}", exc)
            return
        for kind, specs in staged.items():
            self._items[kind].update(specs)
            if specs:
                record.registered[kind] = [s.name for s in specs.values()]
        record.metric_values = {spec.name: list(spec.values) for spec in staged["metrics"].values()}

    def _register_callback(self, record: PluginRecord, hook_name: str, kind: str, staged: dict[str, Spec]):
        expected = KINDS[kind]

        def register(spec: Spec) -> None:
            if not isinstance(spec, expected):
                raise TypeError(f"{hook_name} expects {expected.__name__}, got {type(spec).__name__}")
            spec.plugin, spec.version, spec.remedy = record.name, record.version, record.remedy
            spec.validate()
            if spec.id in staged:
                raise ValueError(f"duplicate id {spec.id!r}: registered twice")
            staged[spec.id] = spec

        return register

    # -- queries ------------------------------------------------------------

    def all(self, kind: str) -> list[Spec]:
        return sorted(self._items[kind].values(), key=lambda s: (s.plugin, s.name))

    def _builtin_plugins(self) -> set[str]:
        return {r.name for r in self.manager.records if r.builtin and r.status == "ok"}

    def resolve(self, kind: str, name: str, *, choices: str = "") -> Any:
        """Find a spec by ``plugin:name`` or by a short name: a built-in plugin's, else a unique one.

        ``choices`` is what an unknown name is answered with besides the close matches
        (e.g. ``the metrics are fid, kid``)."""
        items = self._items[kind]
        singular = KINDS[kind].kind
        if name in items:
            return items[name]
        matches = [s for s in items.values() if s.name == name]
        if len(matches) > 1:
            builtin = self._builtin_plugins()
            matches = [s for s in matches if s.plugin in builtin] or matches
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            ids = ", ".join(sorted(s.id for s in matches))
            raise GensynthError(f"{singular} name {name!r} is ambiguous: use one of {ids}")
        holders = self._not_loaded_holders(kind, name)
        if holders:
            raise GensynthError(f"unknown {singular} {name!r}: " + "; ".join(holders))
        known = sorted(set(items) if ":" in name else {s.name for s in items.values()})
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        listing = "gensynth list-models" if kind == "models" else "gensynth plugins"
        idle = [r.name for r in self.manager.records if r.failed or r.status == "disabled"]
        also = f"; plugins that did not load may provide it ({', '.join(idle)}): `gensynth plugins` says why" if idle else ""
        offered = f"{choices}; " if choices else ""
        raise GensynthError(f"unknown {singular} {name!r}{hint} ({offered}see `{listing}`{also})")

    def resolve_setting(self, kind: str, name: str, setting: str, choices: str) -> Any:
        """:meth:`resolve` the name that config field ``setting`` (``loss``, ``augment``) gives; a name no loaded
        plugin registered is refused with ``choices`` (what the caller takes, e.g. ``use one of: a, b``)."""
        if not any(name in (s.id, s.name) for s in self._items[kind].values()):
            raise GensynthError(f"unknown {KINDS[kind].kind} {name!r}; {choices} "
                                f"(set it with {config_value(setting, 'NAME')})")
        return self.resolve(kind, name)

    def _not_loaded_holders(self, kind: str, name: str) -> list[str]:
        """Why plugins that did not load may hold ``name``: the plugin its id names, or one that registered it
        when a probe last loaded it (:func:`~gensynth._discovery.probe_cache.last_registered`)."""
        idle = [r for r in self.manager.records if r.status != "ok"]
        if not idle:
            return []
        plugin, qualified, short = name.rpartition(":")
        if qualified:
            return [_why_not_loaded(r, f"it would come from {r.label}") for r in idle if r.name == plugin]
        from gensynth._discovery.probe_cache import last_registered

        known = last_registered()
        return [_why_not_loaded(r, f"{r.label} registered it when it last loaded")
                for r in idle if short in known.get(r.key, {}).get("registered", {}).get(kind, [])]

    def check_names(self) -> None:
        """Record a conflict on every third-party plugin that registered a short name a built-in plugin holds."""
        builtin = self._builtin_plugins()
        for kind, items in self._items.items():
            owners = {s.name: s for s in items.values() if s.plugin in builtin}
            for spec in items.values():
                owner = owners.get(spec.name)
                record = self.manager.record(spec.plugin)
                if owner is None or spec.plugin in builtin or record is None:
                    continue
                record.conflict(f"{spec.kind} name {spec.name!r} belongs to the built-in {owner.id}, so "
                                f"`{spec.name}` means the built-in and this one is reachable only as {spec.id} "
                                "(rename it)")

    def list_models(
        self, pattern: str | None = None, *, family: str | None = None, plugin: str | None = None,
        exclude: Iterable[str] = (),
    ) -> list[ModelSpec]:
        """Models whose id or short name match the wildcard ``pattern`` (timm-style include/exclude)."""
        out = []
        for spec in self.all("models"):
            assert isinstance(spec, ModelSpec)
            if pattern and not (fnmatch.fnmatch(spec.id, pattern) or fnmatch.fnmatch(spec.name, pattern)):
                continue
            if any(fnmatch.fnmatch(spec.id, x) or fnmatch.fnmatch(spec.name, x) for x in exclude):
                continue
            if family and spec.family != family:
                continue
            if plugin and spec.plugin != plugin:
                continue
            out.append(spec)
        return out


_REGISTRY: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry, built on first use from the installed entry points."""
    global _REGISTRY
    if _REGISTRY is None:
        manager = PluginManager()
        manager.screen = _screen  # third-party plugins known to hang or end the process are not imported
        manager.load_entry_points()
        registry = Registry(manager)
        registry.collect()
        registry.check_names()
        _REGISTRY = registry
    return _REGISTRY


def _screen(pending):
    from gensynth._discovery.probe_cache import screen  # only when there are third-party plugins (hashlib, ...)

    return screen(pending)


def _why_not_loaded(record: PluginRecord, holder: str) -> str:
    if record.status == "disabled":
        return f"{holder}, but that plugin is disabled: {record.reason}"
    if record.status == "skipped":
        return f"{holder}, but that plugin is not loaded: {record.reason}"
    return f"{holder}, but that plugin does not load: {record.status_text} ({record.remedy})"


def reset_registry() -> None:
    """Forget the registry so the next :func:`get_registry` rediscovers plugins."""
    global _REGISTRY
    _REGISTRY = None
