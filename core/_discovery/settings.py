"""The user's gensynth folders and the plugin switches kept there (torch-free).

The settings folder is ``$GENSYNTH_CONFIG_DIR`` when set, else
``$XDG_CONFIG_HOME/gensynth``, else ``~/.config/gensynth``; the cache folder is
``$GENSYNTH_CACHE_DIR``, else ``$XDG_CACHE_HOME/gensynth``, else ``~/.cache/gensynth``.

``plugins.json`` in the settings folder holds the plugins that ``gensynth plugins
disable`` switched off, each keyed by its distribution and entry-point name, so that
switching off one distribution's plugin never switches off another's of the same
name (a third-party entry point named like a built-in plugin, say)::

    {"disabled_plugins": [{"distribution": "gensynth-sketch", "plugin": "sketch"}], "disabled": []}

``"disabled"`` is the older form, a list of bare entry-point names, each meaning every
plugin of that name; files that hold it keep working, and ``gensynth plugins enable
NAME`` removes such a name. Discovery never imports a disabled plugin; it is listed
with status ``disabled``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path
from typing import Iterable

from gensynth._errors import GensynthError

PLUGINS_FILE = "plugins.json"


def config_dir() -> Path:
    return _user_folder("GENSYNTH_CONFIG_DIR", "XDG_CONFIG_HOME", ".config")


def cache_dir() -> Path:
    """Where gensynth keeps derived data: reference features, trained extractors, plugin probes."""
    return _user_folder("GENSYNTH_CACHE_DIR", "XDG_CACHE_HOME", ".cache")


def _user_folder(explicit: str, xdg: str, home_default: str) -> Path:
    if os.environ.get(explicit):
        return Path(os.environ[explicit]).expanduser()
    base = os.environ.get(xdg)
    return (Path(base).expanduser() if base else Path.home() / home_default) / "gensynth"


def normalize_distribution(name: str) -> str:
    """A distribution name as packaging compares it (PEP 503): ``Gensynth_Sketch`` → ``gensynth-sketch``."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclasses.dataclass(frozen=True, order=True)
class PluginKey:
    """One entry point: the distribution that declares it and its name."""

    distribution: str
    plugin: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "distribution", normalize_distribution(self.distribution))


@dataclasses.dataclass(frozen=True)
class PluginSwitches:
    """The plugins switched off: keyed ones, and bare names from older settings files."""

    keys: frozenset[PluginKey] = frozenset()
    legacy_names: frozenset[str] = frozenset()

    def is_disabled(self, key: PluginKey) -> bool:
        return key in self.keys or key.plugin in self.legacy_names

    def disabling(self, keys: Iterable[PluginKey]) -> PluginSwitches:
        return dataclasses.replace(self, keys=self.keys | set(keys))

    def enabling(self, keys: Iterable[PluginKey], names: Iterable[str] = ()) -> PluginSwitches:
        """Without ``keys``, and without the legacy entries named ``names``."""
        return PluginSwitches(self.keys - set(keys), self.legacy_names - set(names))


def _plugins_file() -> Path:
    return config_dir() / PLUGINS_FILE


def plugin_switches() -> PluginSwitches:
    """The plugins switched off with ``gensynth plugins disable``."""
    path = _plugins_file()
    try:
        settings = json.loads(path.read_text())
        names = settings.get("disabled", [])
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise ValueError("'disabled' must be a list of plugin names")
        entries = settings.get("disabled_plugins", [])
        if not (isinstance(entries, list) and all(isinstance(e, dict) and isinstance(e.get("distribution"), str)
                                                  and isinstance(e.get("plugin"), str) for e in entries)):
            raise ValueError("'disabled_plugins' must be a list of {\"distribution\": ..., \"plugin\": ...}")
    except FileNotFoundError:
        return PluginSwitches()
    except (ValueError, AttributeError, OSError) as exc:
        raise GensynthError(f"plugin settings {path} are unreadable ({exc}); fix the file or delete it") from None
    return PluginSwitches(frozenset(PluginKey(e["distribution"], e["plugin"]) for e in entries), frozenset(names))


def save_switches(switches: PluginSwitches) -> None:
    """Replace the plugin switches in ``plugins.json``."""
    from gensynth._training.atomic import write_json_atomic  # not needed by listing, which only reads

    write_json_atomic(_plugins_file(), {
        "disabled_plugins": [dataclasses.asdict(k) for k in sorted(switches.keys)],
        "disabled": sorted(switches.legacy_names),
    })
