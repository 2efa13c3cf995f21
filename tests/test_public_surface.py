"""The plugin API's public surface: what `gensynth` exports, and that built-ins use nothing else."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import gensynth

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "core" / "_discovery" / "templates" / "plugin"


def _gensynth_imports(source: str) -> list[str]:
    """Every ``gensynth...`` module a Python source imports (template placeholders blanked out)."""
    tree = ast.parse(re.sub(r"\$\{(\w+)\}", r"\1", source))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return [m for m in found if m == "gensynth" or m.startswith("gensynth.")]


def _non_public(module: str, own: str | None) -> bool:
    return module != "gensynth" and not (own and (module == own or module.startswith(own + ".")))


def test_built_in_plugins_import_only_the_public_surface_and_their_own_package():
    offending = []
    for path in sorted((REPO / "plugins").rglob("*.py")):
        parts = path.relative_to(REPO / "plugins").parts
        own = f"gensynth.plugins.{parts[0]}" if len(parts) > 1 else None
        offending += [f"{path.relative_to(REPO)}: {m}" for m in _gensynth_imports(path.read_text()) if _non_public(m, own)]
    assert not offending, offending


def test_plugin_templates_import_only_the_public_surface():
    offending = []
    for path in sorted(TEMPLATES.rglob("*.py.tmpl")):
        offending += [f"{path.relative_to(REPO)}: {m}" for m in _gensynth_imports(path.read_text()) if _non_public(m, None)]
    assert not offending, offending


def test_the_realistic_third_party_test_plugin_imports_only_the_public_surface():
    root = REPO / "tests" / "plugins" / "gensynth-goodplugin" / "gensynth_goodplugin"  # not pip's build/ copy
    offending = [f"{path.relative_to(REPO)}: {m}" for path in sorted(root.rglob("*.py"))
                 for m in _gensynth_imports(path.read_text()) if _non_public(m, None)]
    assert not offending, offending


def test_every_public_name_resolves():
    missing = [name for name in gensynth.__all__ if getattr(gensynth, name, None) is None]
    assert not missing


def test_importing_gensynth_and_its_metadata_names_never_imports_torch():
    code = ("import sys, gensynth\n"
            "from gensynth import ModelSpec, ModelConfig, field, Recipe, DataRequest, hookimpl, GensynthError\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_private_modules_are_marked_private():
    public = {"__init__.py", "__main__.py", "api.py", "testing"}
    names = {p.name for p in (REPO / "core").iterdir() if not p.name.startswith((".", "_")) or p.name in public}
    assert names - {"__pycache__"} <= public, names - public
