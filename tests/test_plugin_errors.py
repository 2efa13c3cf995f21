"""Errors about plugins through the CLI, in a real virtual environment.

gensynth-editme is copied, installed in editable mode and edited by the tests: its
lazy target broken in several ways (one line naming the plugin, the model and the fix,
never a traceback), its registrations changed and reinstalled (`install -e` reports
what changed), its module made to hang (the next listing probes it again). Unknown
models are traced to the plugin that would hold them.
"""

from __future__ import annotations

import json
import shutil

import pytest

from installed_plugins import OFFLINE, PLUGINS_DIR, make_venv, venv_gensynth, venv_pip_install

OFFLINE_ARGS = [f"--pip-arg={arg}" for arg in OFFLINE]
FIX = "fix plugin 'editme' or switch it off: gensynth uninstall gensynth-editme  or  gensynth plugins disable editme"
MODEL = "gensynth_editme/model.py"
PLUGIN = "gensynth_editme/__init__.py"


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    root = tmp_path_factory.mktemp("errors")
    python = make_venv(root / "venv")
    venv_pip_install(python, *(str(PLUGINS_DIR / name) for name in ("gensynth-goodplugin", "gensynth-impostor")))
    return python, root


@pytest.fixture(scope="module")
def installed(venv):
    """``gensynth install -e`` of a copy of gensynth-editme (its model `first`) and of gensynth-hooksonly."""
    folder = venv[1] / "editme"
    shutil.copytree(PLUGINS_DIR / "gensynth-editme", folder, ignore=shutil.ignore_patterns("*.egg-info", "build"))
    return folder, gensynth(venv, "install", "-e", str(folder), str(PLUGINS_DIR / "gensynth-hooksonly"), *OFFLINE_ARGS)


@pytest.fixture(scope="module")
def editme(installed):
    """The folder of the editable copy of gensynth-editme."""
    assert installed[1].returncode == 0, installed[1].stderr
    return installed[0]


def gensynth(venv, *args, **env):
    python, root = venv
    return venv_gensynth(python, list(args), root / "config", GENSYNTH_CACHE_DIR=str(root / "cache"), **env)


def one_error(result) -> str:
    """The single line a refused command prints."""
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    [line] = result.stderr.strip().splitlines()
    return line


@pytest.fixture
def edited(editme):
    """Write files of the editable plugin; they are restored afterwards."""
    originals = {}

    def write(relative: str, text: str) -> None:
        path = editme / relative
        originals.setdefault(path, path.read_text())
        path.write_text(text)

    yield write
    for path, text in originals.items():
        path.write_text(text)


def test_reinstalling_an_edited_plugin_reports_what_changed(venv, editme, edited):
    source = (editme / PLUGIN).read_text()
    edited(PLUGIN, source.replace('name="first"', 'name="second"') + (
        "\n\n@hookimpl\ndef on_run_start(run):\n    pass\n"))
    result = gensynth(venv, "install", "-e", str(editme), *OFFLINE_ARGS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "gensynth-editme 0.1.0: plugin editme registers models: second; lifecycle hooks: on_run_start",
        "  changed since it last loaded: added models: second; removed models: first; added lifecycle hooks: "
        "on_run_start"]


def test_a_plugin_with_only_lifecycle_hooks_installs(installed):
    result = installed[1]
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == ["gensynth-editme 0.1.0: plugin editme registers models: first",
                                                  "gensynth-hooksonly 0.1.0: plugin hooksonly registers lifecycle "
                                                  "hooks: on_run_end"]


def test_lazy_targets_that_fail_are_one_line_naming_plugin_model_and_fix(venv, editme, edited, tmp_path):
    train = ["train", "editme:first", "--data", "good:line", "--steps", "1", "--out", str(tmp_path / "run"), "--quiet"]

    edited(MODEL, "class EditableGAN(:\n    pass\n")
    assert one_error(gensynth(venv, *train)) == (
        f"Error: model editme:first could not be loaded: SyntaxError in {editme / MODEL}, line 1: invalid syntax; {FIX}")
    assert gensynth(venv, "info", "editme:first").returncode == 0  # metadata needs no model code

    edited(MODEL, "import gensynth_editme_missing_dependency\n")
    assert one_error(gensynth(venv, "check", "editme:first")) == (
        "Error: model editme:first could not be loaded: it needs the module 'gensynth_editme_missing_dependency', "
        f"which is not installed; install the package that provides it into this environment ({venv[0]} -m pip "
        f"install ...), or {FIX}")

    edited(MODEL, "def EditableGAN(config):\n    return None\n")
    run = tmp_path / "trained"  # what `sample` reads before it builds the model
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"model": {"id": "editme:first", "config": {}}}))
    assert one_error(gensynth(venv, "sample", str(run))) == (
        "Error: model editme:first: target 'gensynth_editme.model:EditableGAN' is a function, not a gensynth.Model "
        "subclass; report this to the author of plugin 'editme'")


def test_unknown_model_names_the_plugin_that_would_hold_it(venv, editme, edited):
    assert gensynth(venv, "plugins", "disable", "editme").returncode == 0
    try:
        assert one_error(gensynth(venv, "info", "first")) == (
            "Error: unknown model 'first': plugin 'editme' (gensynth-editme 0.1.0) registered it when it last loaded, "
            "but that plugin is disabled: turn it back on with `gensynth plugins enable editme`")
        assert one_error(gensynth(venv, "info", "editme:nothing")) == (
            "Error: unknown model 'editme:nothing': it would come from plugin 'editme' (gensynth-editme 0.1.0), but "
            "that plugin is disabled: turn it back on with `gensynth plugins enable editme`")
    finally:
        assert gensynth(venv, "plugins", "enable", "editme").returncode == 0

    edited(PLUGIN, "raise RuntimeError('editme is broken')\n")
    assert one_error(gensynth(venv, "info", "first")) == (
        "Error: unknown model 'first': plugin 'editme' (gensynth-editme 0.1.0) registered it when it last loaded, "
        "but that plugin does not load: error: failed to import: RuntimeError: editme is broken "
        "(gensynth uninstall gensynth-editme  or  gensynth plugins disable editme)")


def test_an_edited_plugin_that_now_hangs_is_probed_again(venv, editme, edited):
    assert gensynth(venv, "list-models", "editme:*").returncode == 0  # its verdict: fine
    edited(PLUGIN, "import threading\nthreading.Event().wait()\n")
    hanging = gensynth(venv, "list-models", "--plugin", "good", GENSYNTH_PLUGIN_TIMEOUT="3")
    assert hanging.returncode == 0 and "good:tiny-points" in hanging.stdout
    assert "plugin 'editme' (gensynth-editme 0.1.0) could not be loaded: error: loading did not finish within 3 s" \
        in hanging.stderr


def test_uninstalling_a_switched_off_impostor_leaves_the_builtin_alone(venv):
    assert gensynth(venv, "plugins", "disable", "gensynth-impostor").returncode == 0
    removed = gensynth(venv, "uninstall", "-y", "gensynth-impostor")
    assert removed.returncode == 0, removed.stderr
    settings = json.loads((venv[1] / "config" / "plugins.json").read_text())
    assert not any(entry["plugin"] == "gan" for entry in settings["disabled_plugins"])
    rows = json.loads(gensynth(venv, "plugins", "--json").stdout)
    assert [(r["distribution"], r["status"]) for r in rows if r["name"] == "gan"] == [("gensynth", "ok")]
