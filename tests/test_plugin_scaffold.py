"""`gensynth new-plugin`: name checks, the rendered package, the templates in the wheel, and the round trip.

The round trip does what a plugin author does, in a temporary virtual environment:
generate a GAN and a VAE plugin, install one with `pip install -e` and the other
with `gensynth install`, run each package's own tests (gensynth's conformance kit on
its model, and its discovery), and train the GAN on `digits`.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from gensynth.cli.main import cli
from gensynth._discovery.scaffold import new_plugin
from installed_plugins import OFFLINE, env_with, make_venv, venv_gensynth, venv_pip_install

REPO = Path(__file__).resolve().parents[1]


def top_level_imports(path: Path) -> set[str]:
    nodes = list(ast.walk(ast.parse(path.read_text())))
    names = {alias.name for node in nodes if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in nodes if isinstance(node, ast.ImportFrom) and node.module}
    return {name.split(".")[0] for name in names}


def invoke(*args):
    return CliRunner().invoke(cli, list(args), terminal_width=200)


@pytest.mark.parametrize("name,message", [
    ("../evil", "looks like a path"),
    ("a/b", "looks like a path"),
    ("My Plugin", "is not valid"),
    ("9lives", "is not valid"),
    ("double--hyphen", "is not valid"),
    ("gensynth-sketch", "should not start with 'gensynth'"),
    ("gan", "a plugin named 'gan' is already installed (gensynth)"),
])
def test_invalid_names_are_refused_on_one_line(tmp_path, name, message):
    result = invoke("new-plugin", name, "--dir", str(tmp_path))
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert not any(tmp_path.iterdir())


def test_existing_folder_needs_force(tmp_path):
    (tmp_path / "sketch").mkdir()
    (tmp_path / "sketch" / "notes.txt").write_text("mine")
    refused = invoke("new-plugin", "sketch", "--dir", str(tmp_path))
    assert refused.exit_code == 1 and "--force" in refused.stderr
    assert invoke("new-plugin", "sketch", "--dir", str(tmp_path), "--force").exit_code == 0
    assert (tmp_path / "sketch" / "notes.txt").read_text() == "mine"
    assert (tmp_path / "sketch" / "gensynth_sketch" / "model.py").is_file()


@pytest.mark.parametrize("family,model_class", [("gan", "ConvGAN"), ("vae", "ConvVAE"), ("other", "ConvVAE")])
def test_rendered_package_is_complete(tmp_path, family, model_class):
    written = new_plugin("pixel-art", tmp_path, family)
    root = tmp_path / "pixel-art"
    assert sorted(str(p.relative_to(root)) for p in written) == sorted([
        "pyproject.toml", "README.md", ".gitignore", ".github/workflows/ci.yml", "tests/test_gensynth_pixel_art.py",
        "gensynth_pixel_art/__init__.py", "gensynth_pixel_art/config.py", "gensynth_pixel_art/model.py"])
    pyproject = (root / "pyproject.toml").read_text()
    assert 'name = "gensynth-pixel-art"' in pyproject and 'pixel-art = "gensynth_pixel_art"' in pyproject
    assert 'dependencies = ["gensynth>=0.1.0,<1"]' in pyproject
    module = (root / "gensynth_pixel_art" / "__init__.py").read_text()
    assert 'GENSYNTH_API = ">=1.0,<2"' in module and f'family="{family}"' in module
    assert top_level_imports(root / "gensynth_pixel_art" / "__init__.py") == {"gensynth", "gensynth_pixel_art"}
    assert top_level_imports(root / "gensynth_pixel_art" / "config.py") == {"dataclasses", "gensynth"}
    assert f"class {model_class}(Model)" in (root / "gensynth_pixel_art" / "model.py").read_text()
    assert "python-version: ${{ matrix.python-version }}" in (root / ".github" / "workflows" / "ci.yml").read_text()
    for path in (p for p in written if p.suffix == ".py"):
        compile(path.read_text(), str(path), "exec")


def test_templates_ship_in_a_regular_wheel(tmp_path):
    source = tmp_path / "src"
    for name in ("core", "cli", "plugins"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", *OFFLINE, "-w", str(tmp_path / "dist"), str(source)],
                   check=True, capture_output=True)
    names = zipfile.ZipFile(next((tmp_path / "dist").glob("gensynth-*.whl"))).namelist()
    templates = {n.removeprefix("gensynth/_discovery/templates/plugin/") for n in names if n.startswith("gensynth/_discovery/templates/")}
    expected = {str(p.relative_to(REPO / "core" / "_discovery" / "templates" / "plugin"))
                for p in (REPO / "core" / "_discovery" / "templates" / "plugin").rglob("*.tmpl")}
    assert expected and templates == expected


def test_generated_plugins_install_pass_their_own_tests_and_train(tmp_path):
    python, config = make_venv(tmp_path / "venv"), tmp_path / "config"
    for name, family in (("sketch", "gan"), ("blur", "vae")):
        assert venv_gensynth(python, ["new-plugin", name, "--dir", str(tmp_path), "--family", family], config).returncode == 0
    venv_pip_install(python, "-e", str(tmp_path / "blur"))
    installed = venv_gensynth(python, ["install", str(tmp_path / "sketch"), *(f"--pip-arg={a}" for a in OFFLINE)], config)
    assert installed.returncode == 0, installed.stderr
    assert "gensynth-sketch 0.1.0: plugin sketch registers models: conv-gan" in installed.stdout
    listed = venv_gensynth(python, ["list-models", "--json"], config)
    assert {"sketch:conv-gan", "blur:conv-vae"} <= {m["id"] for m in json.loads(listed.stdout)}

    tests = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "sketch/tests", "blur/tests"],
                           cwd=tmp_path, capture_output=True, text=True, env=env_with(None, GENSYNTH_CONFIG_DIR=str(config)))
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout and "failed" not in tests.stdout

    trained = venv_gensynth(python, ["train", "sketch:conv-gan", "--data", "digits", "--steps", "2", "--batch-size", "8",
                                     "--set", "g_width=8", "--out", str(tmp_path / "run"), "--quiet", "--device", "cpu"],
                            config)
    assert trained.returncode == 0, trained.stderr
    assert (tmp_path / "run" / "model.safetensors").is_file()
