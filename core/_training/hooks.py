"""The lifecycle hooks of one training run.

Two sources: the installed plugins (the process-wide plugin manager, shared by
every run of the process) and the objects given to ``Trainer(hooks=[...])`` /
``api.train(hooks=...)``, which belong to this run alone: they live in the
run's own pluggy manager and are never registered with the process-wide one, so
nothing of them is left behind when the run ends or fails, and two runs in one
process never see each other's objects.

Each hook call goes to the installed plugins first, then to the run's objects
in the order given, each plugin or object inside its own error handling
(:mod:`gensynth._discovery.hookcalls`). A failure is a warning on stderr naming
the plugin and its remedy, shown once per hook and plugin in a run (a broken
``on_step_end`` would otherwise repeat at every step); training goes on. In
strict mode (``GENSYNTH_STRICT=1``) it is a :class:`~gensynth._errors.PluginError`.
"""

from __future__ import annotations

import sys
from typing import Any, Iterable

import pluggy

from gensynth._discovery import hookcalls, hookspecs
from gensynth._discovery.loader import PluginManager, strict_mode
from gensynth._errors import GensynthError, PluginError


class RunHooks:
    """``hooks.call(name, **kwargs)`` calls the hook ``name`` of the plugins and of the run's objects."""

    def __init__(self, plugins: PluginManager, objects: Iterable[object] = ()) -> None:
        self.plugins = plugins
        self.own = pluggy.PluginManager(hookspecs.PROJECT)
        self.own.add_hookspecs(hookspecs)
        self._reported: set[tuple[str, str]] = set()
        objects = list(objects)
        known = hookcalls.hook_names()
        for obj, name in reversed(list(zip(objects, _object_names(objects)))):  # pluggy calls the last registered first
            unknown = sorted(set(hookcalls.implemented_names(obj)) - known)
            if unknown:
                raise GensynthError(f"hook object {name} implements {unknown[0]!r}, which is no gensynth hook; "
                                    f"the hooks are {', '.join(sorted(known))}")
            refused = hookcalls.register(self.own, obj, name)
            if refused:
                raise GensynthError(f"hook object {name}: {refused}")

    def call(self, hook_name: str, **kwargs: Any) -> None:
        hookcalls.call_each(self.plugins.pm, hook_name, kwargs,
                            lambda name, exc: self._failed(hook_name, f"plugin {name!r}", exc, self._remedy(name)))
        hookcalls.call_each(self.own, hook_name, kwargs,
                            lambda name, exc: self._failed(hook_name, f"hook object {name}", exc, ""))

    def _remedy(self, plugin_name: str) -> str:
        record = self.plugins.record(plugin_name)
        return record.remedy if record else ""

    def _failed(self, hook_name: str, who: str, exc: Exception, remedy: str) -> None:
        failure = f"{type(exc).__name__}: {exc}" + (f" ({remedy})" if remedy else "")
        if strict_mode():
            raise PluginError(f"hook {hook_name} of {who} failed: {failure}") from exc
        if (hook_name, who) not in self._reported:
            self._reported.add((hook_name, who))
            print(f"warning: hook {hook_name} of {who} failed (shown once per run): {failure}", file=sys.stderr)


def _object_names(objects: list[object]) -> list[str]:
    """Readable, distinct names for messages: the class name, numbered when it repeats."""
    classes = [type(obj).__name__ for obj in objects]
    return [name if classes.count(name) == 1 else f"{name}#{classes[:i].count(name) + 1}"
            for i, name in enumerate(classes)]
