"""``gensynth new-plugin``: a complete, pip-installable plugin package rendered from templates.

The templates are real files in ``gensynth/_discovery/templates/plugin/`` (shipped as package
data), rendered with :class:`string.Template`: ``${name}``, ``${module}``, ... in their
contents (``$$`` is a literal ``$``); in file and folder names ``_module_`` stands for
the module name and a leading ``dot-`` for ``.``; the ``.tmpl`` suffix is dropped.
``common/`` holds the packaging, README, tests and CI workflow; ``gan/`` and ``vae/``
the plugin module and model of each family (``other`` starts from the VAE).
"""

from __future__ import annotations

import dataclasses
import re
from importlib import resources
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

from packaging.version import Version

from gensynth._errors import GensynthError
from gensynth._discovery.loader import normalize_distribution
from gensynth._discovery.distributions import plugin_distributions
from gensynth._version import PLUGIN_API_VERSION, __version__

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

#: family -> (template folder, model name)
FAMILIES = {"gan": ("gan", "conv-gan"), "vae": ("vae", "conv-vae"), "other": ("vae", "conv-vae")}
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclasses.dataclass(frozen=True)
class PluginNames:
    """``name`` (entry point, model id prefix and folder), ``distribution`` and ``module``."""

    name: str

    @property
    def distribution(self) -> str:
        return f"gensynth-{self.name}"

    @property
    def module(self) -> str:
        return f"gensynth_{self.name.replace('-', '_')}"


def plugin_names(name: str) -> PluginNames:
    """Check that ``name`` makes a valid distribution, module and folder name; a GensynthError says why not."""
    if any(sep in name for sep in ("/", "\\")) or ".." in name or name in (".", ""):
        raise GensynthError(f"plugin name {name!r} looks like a path; give a bare name such as 'sketch' "
                            "and choose the parent folder with --dir")
    if not _NAME.match(name) or len(name) > 40:
        raise GensynthError(f"plugin name {name!r} is not valid: use up to 40 lowercase letters, digits and single "
                            "hyphens, starting with a letter (e.g. 'sketch' or 'pixel-vae')")
    if name.startswith("gensynth"):
        raise GensynthError(f"plugin name {name!r} should not start with 'gensynth': the package is named "
                            f"gensynth-NAME already (try {name.removeprefix('gensynth').strip('-') or 'sketch'!r})")
    names = PluginNames(name)
    for dist in plugin_distributions():
        if name in dist.plugins and normalize_distribution(dist.name) != names.distribution:
            raise GensynthError(f"a plugin named {name!r} is already installed ({dist.name}); choose another name")
    return names


def new_plugin(name: str, directory: str | Path = ".", family: str = "gan", force: bool = False) -> list[Path]:
    """Write the package for plugin ``name`` into ``directory/name``; returns the files written."""
    names = plugin_names(name)
    if family not in FAMILIES:
        raise GensynthError(f"unknown family {family!r}; use one of {', '.join(FAMILIES)}")
    folder = Path(directory).expanduser() / name
    if folder.exists() and not folder.is_dir():
        raise GensynthError(f"{folder} exists and is not a folder; choose another --dir or name")
    if folder.exists() and not force:
        raise GensynthError(f"folder {folder} already exists; choose another --dir or name, "
                            "or pass --force to overwrite the template's files in it")
    template_dir, model_name = FAMILIES[family]
    api = Version(PLUGIN_API_VERSION)
    values = {
        "name": name, "distribution": names.distribution, "module": names.module, "family": family,
        "model_name": model_name, "model_id": f"{name}:{model_name}",
        "api_range": f">={api},<{api.major + 1}",
        "gensynth_range": f">={__version__},<{Version(__version__).major + 1}",
    }
    root = resources.files("gensynth._discovery").joinpath("templates", "plugin")
    written: list[Path] = []
    for part in ("common", template_dir):
        written += _render_tree(root.joinpath(part), folder, values)
    return written


def _render_tree(source: Traversable, target: Path, values: dict[str, str]) -> list[Path]:
    written = []
    for entry in sorted(source.iterdir(), key=lambda e: e.name):
        name = entry.name.replace("_module_", values["module"]).removesuffix(".tmpl")
        if name.startswith("dot-"):
            name = "." + name.removeprefix("dot-")
        if entry.is_dir():
            written += _render_tree(entry, target / name, values)
        elif entry.name.endswith(".tmpl"):
            path = target / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(Template(entry.read_text()).substitute(values))
            written.append(path)
    return written
