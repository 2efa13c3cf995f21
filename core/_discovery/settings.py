"""The user's gensynth settings folder and the plugin switches kept there (torch-free).

The folder is ``$GENSYNTH_CONFIG_DIR`` when set, else ``$XDG_CONFIG_HOME/gensynth``,
else ``~/.config/gensynth``. ``plugins.json`` in it holds ``{"disabled": [names]}``:
the plugins (entry-point names) that ``gensynth plugins disable NAME`` switched off.
Discovery never imports a disabled plugin; it is listed with status ``disabled``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from gensynth._errors import GensynthError

PLUGINS_FILE = "plugins.json"


def config_dir() -> Path:
    explicit = os.environ.get("GENSYNTH_CONFIG_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".config") / "gensynth"


def _plugins_file() -> Path:
    return config_dir() / PLUGINS_FILE


def disabled_plugins() -> set[str]:
    """Names of the plugins switched off with ``gensynth plugins disable``."""
    path = _plugins_file()
    try:
        settings = json.loads(path.read_text())
        names = settings.get("disabled", [])
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise ValueError("'disabled' must be a list of plugin names")
    except FileNotFoundError:
        return set()
    except (ValueError, AttributeError, OSError) as exc:
        raise GensynthError(f"plugin settings {path} are unreadable ({exc}); fix the file or delete it") from None
    return set(names)


def set_disabled(names: set[str]) -> None:
    """Replace the set of disabled plugins."""
    from gensynth._training.atomic import write_json_atomic  # not needed by listing, which only reads

    write_json_atomic(_plugins_file(), {"disabled": sorted(names)})
