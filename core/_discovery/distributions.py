"""Installed plugins as package metadata describes them, without importing any (torch-free).

The recovery commands (``gensynth uninstall``, ``gensynth plugins disable/enable``,
``gensynth plugins --freeze``) must work while an installed plugin is broken, so they
read only distribution metadata: entry points, versions and ``direct_url.json``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from importlib import metadata
from urllib.parse import unquote, urlparse

from gensynth._errors import GensynthError
from gensynth._discovery.loader import BUILTIN_DISTRIBUTION, ENTRY_POINT_GROUP, entry_points
from gensynth._discovery.settings import PluginKey, normalize_distribution


@dataclasses.dataclass(frozen=True)
class PluginDistribution:
    """An installed distribution and the plugins (entry-point names) it declares."""

    name: str
    version: str
    plugins: tuple[str, ...]
    dist: metadata.Distribution = dataclasses.field(compare=False, repr=False)

    @property
    def builtin(self) -> bool:
        return self.name == BUILTIN_DISTRIBUTION

    @property
    def label(self) -> str:
        return f"{self.name} {self.version} (plugin{'s' if len(self.plugins) > 1 else ''} {', '.join(self.plugins)})"


def plugin_distributions() -> list[PluginDistribution]:
    """Every distribution that declares ``gensynth`` entry points, built-in first."""
    grouped: dict[str, PluginDistribution] = {}
    for ep in entry_points():
        if ep.dist is None:
            continue
        key = normalize_distribution(ep.dist.name)
        known = grouped.get(key)
        plugins = (known.plugins if known else ()) + (ep.name,)
        grouped[key] = PluginDistribution(ep.dist.name, ep.dist.version, plugins, ep.dist)
    return list(grouped.values())


def find_plugin_distribution(name: str) -> PluginDistribution:
    """The distribution named ``name``, or the one declaring plugin ``name``.

    A plugin name that gensynth's own distribution declares means the built-in plugin,
    whoever else declares an entry point of that name.
    """
    found = plugin_distributions()
    wanted = normalize_distribution(name)
    by_distribution = [d for d in found if normalize_distribution(d.name) == wanted]
    if by_distribution:
        return by_distribution[0]
    by_plugin = [d for d in found if name in d.plugins]
    by_plugin = [d for d in by_plugin if d.builtin] or by_plugin
    if len(by_plugin) == 1:
        return by_plugin[0]
    if by_plugin:
        raise GensynthError(f"plugin name {name!r} is declared by {', '.join(d.name for d in by_plugin)}; "
                            "give the distribution name instead")
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        raise GensynthError(f"no installed plugin or plugin distribution is named {name!r}; "
                            "`gensynth plugins` lists them") from None
    raise GensynthError(f"{name} is installed but is not a gensynth plugin "
                        f"(it declares no entry point in group {ENTRY_POINT_GROUP!r}); manage it with pip")


def plugin_keys(name: str, dist: PluginDistribution) -> set[PluginKey]:
    """The entry points of ``dist`` that ``name`` means: all of them for its distribution name, else plugin ``name``."""
    if normalize_distribution(name) == normalize_distribution(dist.name):
        return {PluginKey(dist.name, plugin) for plugin in dist.plugins}
    return {PluginKey(dist.name, name)}


def _origin(dist: metadata.Distribution) -> dict | None:
    """``direct_url.json``: where an installer took the distribution from (None: an index)."""
    raw = dist.read_text("direct_url.json")
    return json.loads(raw) if raw else None


def editable_location(dist: metadata.Distribution) -> str | None:
    """The project folder (or URL) of an editable install, else None."""
    origin = _origin(dist)
    if not (origin and origin.get("dir_info", {}).get("editable")):
        return None
    parsed = urlparse(origin["url"])
    return unquote(parsed.path) if parsed.scheme == "file" else origin["url"]


def requirement_line(plugin: PluginDistribution) -> str:
    """A requirements-file line that reinstalls ``plugin`` from where it came (like ``pip freeze``)."""
    origin = _origin(plugin.dist)
    if origin is None:
        return f"{plugin.name}=={plugin.version}"
    editable = editable_location(plugin.dist)
    if editable:
        return f"-e {editable}"
    url = origin["url"]
    vcs = origin.get("vcs_info")
    if vcs:
        return f"{plugin.name} @ {vcs['vcs']}+{url}@{vcs['commit_id']}"
    return f"{plugin.name} @ {url}"


def distribution_fingerprints() -> dict[str, str]:
    """Every installed distribution (normalised name) with a digest of its version and file list.

    Two snapshots differ exactly where an installer added, removed, upgraded or
    rebuilt a distribution.
    """
    prints = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            content = f"{dist.version}\n{dist.read_text('RECORD') or ''}"
            prints[normalize_distribution(name)] = hashlib.sha1(content.encode()).hexdigest()
    return prints
