"""Packaging: the declared Python range, and an editable install that a folder named `gensynth` cannot shadow."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import gensynth
from installed_plugins import OFFLINE, env_with, make_venv

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "core" / "_discovery" / "templates" / "plugin" / "common"
SOURCES = ("core", "cli", "plugins")


def test_the_declared_python_range_is_the_tested_one():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    minimum = re.fullmatch(r">=(3\.\d+)", project["requires-python"]).group(1)
    assert sys.version_info[:2] >= tuple(map(int, minimum.split(".")))
    assert not any(d.startswith("tomli") for d in project["dependencies"])  # tomllib is in the standard library
    template = (TEMPLATES / "pyproject.toml.tmpl").read_text()
    assert f'requires-python = ">={minimum}"' in template  # a new plugin asks for what gensynth needs
    matrix = re.search(r"python-version: \[(.*)\]", (TEMPLATES / "dot-github" / "workflows" / "ci.yml.tmpl").read_text())
    assert json.loads(f"[{matrix.group(1)}]")[0] == minimum


def test_an_editable_install_is_not_shadowed_by_a_folder_named_gensynth(tmp_path):
    """A clone in x/gensynth, used from x/: that folder must not be imported as a namespace package."""
    clone = tmp_path / "x" / "gensynth"
    for name in ("pyproject.toml", "README.md"):
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, clone / name)
    for folder in SOURCES:
        shutil.copytree(ROOT / folder, clone / folder, ignore=shutil.ignore_patterns("__pycache__"))
    python = make_venv(tmp_path / "venv")
    subprocess.run([str(python), "-m", "pip", "install", *OFFLINE, "-e", str(clone)], check=True, capture_output=True)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(python), *args], cwd=clone.parent, env=env_with(None), capture_output=True, text=True,
                              timeout=300)

    imported = run("-c", "import gensynth; print(gensynth.__file__); print(gensynth.ModelSpec.__name__)")
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.split() == [str(clone / "build" / "__editable__.gensynth-0.1.0-py3-none-any" / "gensynth"
                                           / "__init__.py"), "ModelSpec"]
    listed = run("-m", "gensynth", "plugins", "--json")
    assert listed.returncode == 0, listed.stderr
    assert {r["name"]: r["status"] for r in json.loads(listed.stdout) if r["builtin"]} == {
        "datasets": "ok", "gan": "ok", "cyclegan": "ok", "metrics": "ok", "vae": "ok"}


def test_every_source_file_is_in_the_installed_package():
    """A strict editable install links files; one added since needs `pip install -e .` again."""
    installed = Path(gensynth.__file__).parent
    if "__editable__" not in str(installed):
        return  # an install that reads the source folders themselves
    missing = [str(path.relative_to(ROOT)) for folder in SOURCES for path in (ROOT / folder).rglob("*.py")
               if "__pycache__" not in path.parts and not _linked(path, installed)]
    assert not missing, (f"{', '.join(missing)} not in the installed package: run the set-up's pip command again "
                         f"(`.venv/bin/pip install -c .ci/constraints.txt setuptools -e \".[test]\"`)")


def _linked(source: Path, installed: Path) -> bool:
    relative = source.relative_to(ROOT)
    package = {"core": [], "cli": ["cli"], "plugins": ["plugins"]}[relative.parts[0]]
    return os.path.exists(installed.joinpath(*package, *relative.parts[1:]))
