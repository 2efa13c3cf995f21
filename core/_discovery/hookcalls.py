"""Calling hooks through pluggy, one plugin at a time.

A plain pluggy hook call (``pm.hook.NAME(**kwargs)``) runs every implementation
in one loop, and the first one that raises stops the others. gensynth wants a
failing plugin to break only itself, so each plugin's implementations get their
own call, through the hook caller pluggy gives for that plugin alone
(``pluggy.PluginManager.subset_hook_caller``). Everything else is pluggy's:

* each implementation receives only the arguments it declares, so a hook may
  gain arguments without breaking implementations written before (an
  ``on_run_end(run)`` keeps working beside ``on_run_end(run, status)``);
* plugins are called in pluggy's order (the last registered first, ``tryfirst``
  and ``trylast`` honoured);
* a plugin's wrappers (``wrapper=True``, ``hookwrapper=True``) wrap its own
  implementations of the hook, not other plugins'.

None of gensynth's hooks is ``firstresult``, and their return values are ignored.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

import pluggy

from gensynth._discovery import hookspecs

_SPEC, _IMPL = f"{hookspecs.PROJECT}_spec", f"{hookspecs.PROJECT}_impl"


def hook_names() -> set[str]:
    """The names of gensynth's hooks."""
    return {name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), _SPEC)}


def implemented_names(plugin: object) -> list[str]:
    """The hooks ``plugin`` (a module or any object) implements with ``@gensynth.hookimpl``."""
    return [getattr(getattr(plugin, attr), _IMPL).get("specname") or attr
            for attr in dir(plugin) if hasattr(getattr(plugin, attr, None), _IMPL)]


def register(pm: pluggy.PluginManager, plugin: object, name: str) -> str | None:
    """Register ``plugin`` under ``name``; returns why pluggy refused it, on one line, or None.

    pluggy's refusals span several lines ("Plugin 'x' for hook 'y'", the implementation's
    definition, the problem); a row of ``gensynth plugins`` or an error line needs one, naming
    the hook and, where the arguments are the problem, the arguments the hook passes.
    """
    try:
        pm.register(registrable(plugin), name=name)
    except pluggy.PluginValidationError as exc:
        return _one_line_refusal(pm, str(exc))
    except ValueError as exc:  # already registered: pluggy appends its whole plugin table
        return str(exc).splitlines()[0]
    return None


def _one_line_refusal(pm: pluggy.PluginManager, message: str) -> str:
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    hook = next((m.group(1) for line in lines[:2] if (m := re.search(r"\bhook '([^']+)'", line))), None)
    if hook is None:
        return "; ".join(lines)
    definition = next((line.removeprefix("hookimpl definition: ") for line in lines
                       if line.startswith("hookimpl definition: ")), None)
    problem = lines[-1]
    caller = getattr(pm.hook, hook, None)
    unknown = re.match(r"Argument\(s\) (.*) are declared in the hookimpl", problem)
    if unknown and caller is not None and caller.spec is not None:
        passed = ", ".join(caller.spec.argnames) or "nothing"
        return (f"hook {hook!r} implemented as {definition} asks for {unknown.group(1)}, which the hook does not "
                f"pass (it passes {passed}): drop those arguments or give them defaults")
    return f"hook {hook!r}" + (f" implemented as {definition}" if definition else "") + f": {problem}"


def registrable(plugin: object) -> object:
    """``plugin``, or when it cannot be hashed (a ``SimpleNamespace``, a dataclass instance) a
    stand-in holding its hook implementations: pluggy's per-plugin callers keep plugins in sets."""
    try:
        hash(plugin)
        return plugin
    except TypeError:
        stand_in = _StandIn(plugin)
        for attr in dir(plugin):
            value = getattr(plugin, attr, None)
            if hasattr(value, _IMPL):
                setattr(stand_in, attr, value)
        return stand_in


class _StandIn:
    def __init__(self, plugin: object) -> None:
        self.__wrapped__ = plugin

    def __repr__(self) -> str:
        return repr(self.__wrapped__)


def plugins_implementing(pm: pluggy.PluginManager, hook_name: str) -> list[object]:
    """The plugin objects that implement ``hook_name``, in the order pluggy calls them."""
    caller = getattr(pm.hook, hook_name, None)
    if caller is None:
        return []
    plugins: list[object] = []
    for impl in reversed(caller.get_hookimpls()):  # pluggy calls the end of this list first
        if not any(impl.plugin is seen for seen in plugins):
            plugins.append(impl.plugin)
    return plugins


def call_plugin(pm: pluggy.PluginManager, hook_name: str, plugin: object, kwargs: Mapping[str, Any]) -> None:
    """Call ``plugin``'s implementations of ``hook_name`` (and only those) through pluggy."""
    others = [p for p in plugins_implementing(pm, hook_name) if p is not plugin]
    pm.subset_hook_caller(hook_name, remove_plugins=others)(**kwargs)


def call_each(pm: pluggy.PluginManager, hook_name: str, kwargs: Mapping[str, Any],
              failed: Callable[[str, Exception], None]) -> None:
    """Call every plugin's implementations of ``hook_name``; a plugin that raises is reported to
    ``failed(plugin name, exception)`` and the next plugin is called all the same."""
    for plugin in plugins_implementing(pm, hook_name):
        try:
            call_plugin(pm, hook_name, plugin, kwargs)
        except Exception as exc:
            failed(pm.get_name(plugin) or repr(plugin), exc)
