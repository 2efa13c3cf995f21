"""`gensynth install/uninstall/plugins` with real packages pip-installed into temporary virtual environments.

Test plugins (tests/plugins/): good, failing import, raising hook, duplicate short
name, incompatible API, registers nothing, not a plugin, import that hangs, import
that calls sys.exit, and a model module that imports slowly.
"""

from __future__ import annotations

import json

import pytest

from installed_plugins import OFFLINE, PLUGINS_DIR, make_venv, venv_gensynth, venv_pip_install

OFFLINE_ARGS = [f"--pip-arg={arg}" for arg in OFFLINE]
BROKEN = ["gensynth-brokenimport", "gensynth-raisinghook", "gensynth-futureapi", "gensynth-hangimport",
          "gensynth-exitimport"]


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    root = tmp_path_factory.mktemp("install")
    return make_venv(root / "venv"), root / "config"


def gensynth(venv, *args, **env):
    python, config = venv
    return venv_gensynth(python, list(args), config, **env)


def rows(venv, **env) -> dict[str, dict]:
    result = gensynth(venv, "plugins", "--json", **env)
    assert result.returncode == 0, result.stderr
    return {r["name"]: r for r in json.loads(result.stdout)}


def test_install_says_where_and_lists_what_the_plugin_registers(venv):
    result = gensynth(venv, "install", str(PLUGINS_DIR / "gensynth-goodplugin"), *OFFLINE_ARGS)
    assert result.returncode == 0, result.stderr
    assert f"Installing with pip ({venv[0]} -m pip)" in result.stderr
    assert "gensynth-goodplugin 1.2.0: plugin good registers models: tiny-points, slow-points;" in result.stdout
    assert "datasets: line" in result.stdout
    listed = gensynth(venv, "list-models", "--json")
    assert {"good:tiny-points", "good:slow-points"} <= {m["id"] for m in json.loads(listed.stdout)}


PROBLEMS = {
    "gensynth-brokenimport": "error: failed to import: ModuleNotFoundError: No module named "
                             "'gensynth_this_dependency_does_not_exist'",
    "gensynth-raisinghook": "error: RuntimeError: boom while registering",
    "gensynth-futureapi": "incompatible: needs gensynth API >=2,<3, this is 1.0",
    "gensynth-registersnothing": "registers nothing and implements no hook",
}


def test_install_of_plugins_that_do_not_work_fails_with_each_error_and_its_fix(venv):
    packages = [*PROBLEMS, "gensynth-dupname"]
    result = gensynth(venv, "install", *(str(PLUGINS_DIR / p) for p in packages), *OFFLINE_ARGS)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == len(PROBLEMS)
    for package, problem in PROBLEMS.items():
        name = package.removeprefix("gensynth-")
        line = next(e for e in errors if f"plugin {name!r}" in e)
        assert problem in line and line.endswith(f"(gensynth uninstall {package}  or  gensynth plugins disable {name})")
    assert "gensynth-dupname 0.3.0: plugin dupname registers models: dcgan" in result.stdout
    assert ("warning: plugin 'dupname' (gensynth-dupname 0.3.0): model name 'dcgan' belongs to the built-in "
            "gan:dcgan, so `dcgan` means the built-in and this one is reachable only as dupname:dcgan") in result.stderr


def test_install_of_a_package_that_is_no_plugin_fails(venv):
    result = gensynth(venv, "install", str(PLUGINS_DIR / "gensynth-notaplugin"), *OFFLINE_ARGS)
    assert result.returncode == 1
    assert "pip installed gensynth-notaplugin, but none of it is a gensynth plugin" in result.stderr
    assert result.stderr.rstrip().endswith("-m pip uninstall -y gensynth-notaplugin`")


def test_recovery_commands_work_while_plugins_hang_exit_or_fail(tmp_path):
    """plugins, plugins disable/enable and uninstall never run plugin code in gensynth's own process."""
    venv = (make_venv(tmp_path / "venv"), tmp_path / "config")
    venv_pip_install(venv[0], *(str(PLUGINS_DIR / p) for p in ["gensynth-goodplugin", *BROKEN]))

    found = rows(venv, GENSYNTH_PLUGIN_TIMEOUT="3")
    assert found["hangimport"]["status"] == "error"
    assert found["hangimport"]["reason"].startswith("loading did not finish within 3 s")
    assert found["exitimport"]["reason"] == "failed to import: SystemExit: gensynth-exitimport refuses to load"
    assert found["good"]["status"] == "ok" and found["gan"]["status"] == "ok"
    for name in ("hangimport", "exitimport", "brokenimport", "raisinghook", "futureapi"):
        assert found[name]["remedy"] == f"gensynth uninstall gensynth-{name}  or  gensynth plugins disable {name}"

    disabled = gensynth(venv, "plugins", "disable", "hangimport")
    assert disabled.returncode == 0 and "gensynth plugins enable hangimport" in disabled.stdout
    assert rows(venv)["hangimport"]["status"] == "disabled"

    listed = gensynth(venv, "list-models")
    assert listed.returncode == 0 and "good:tiny-points" in listed.stdout
    warnings = [line for line in listed.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 4 and all(w.endswith(")") and "gensynth plugins disable" in w for w in warnings)
    strict = gensynth(venv, "--strict", "list-models")
    assert strict.returncode == 1 and strict.stderr.startswith("Error: plugin 'brokenimport'")
    assert strict.stderr.rstrip().endswith("gensynth plugins disable brokenimport)")

    trained = gensynth(venv, "train", "good:tiny-points", "--data", "good:line", "--steps", "3", "--batch-size", "16",
                       "--out", str(tmp_path / "run"), "--quiet", "--device", "cpu")
    assert trained.returncode == 0, trained.stderr
    assert (tmp_path / "run" / "good-plugin.txt").read_text() == "run ended at step 3\n"  # its on_run_end(run)

    refused = gensynth(venv, "uninstall", "brokenimport")  # no -y and no terminal to answer: nothing happens
    assert refused.returncode == 1 and "Aborted" in refused.stderr
    removed = gensynth(venv, "uninstall", "-y", "brokenimport", "gensynth-exitimport", "hangimport")
    assert removed.returncode == 0, removed.stderr
    assert "Uninstalled gensynth-hangimport 0.1.0" in removed.stdout
    assert json.loads((tmp_path / "config" / "plugins.json").read_text()) == {"disabled_plugins": [], "disabled": []}
    left = rows(venv, GENSYNTH_PLUGIN_TIMEOUT="3")
    assert not {"brokenimport", "exitimport", "hangimport"} & set(left)
    assert left["raisinghook"]["status"] == "error"


@pytest.mark.parametrize("name,message", [
    ("gan", "part of gensynth itself and cannot be uninstalled"),
    ("numpy", "numpy is installed but is not a gensynth plugin"),
    ("no-such-plugin", "no installed plugin or plugin distribution is named 'no-such-plugin'"),
])
def test_uninstall_refuses_what_is_no_installed_plugin(venv, name, message):
    result = gensynth(venv, "uninstall", "-y", name)
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr


def test_freeze_lists_requirements_that_install_r_restores(tmp_path):
    venv = (make_venv(tmp_path / "venv"), tmp_path / "config")
    venv_pip_install(venv[0], str(PLUGINS_DIR / "gensynth-goodplugin"), "-e", str(PLUGINS_DIR / "gensynth-dupname"))
    frozen = gensynth(venv, "plugins", "--freeze")
    assert frozen.returncode == 0
    assert frozen.stdout.splitlines() == [f"-e {PLUGINS_DIR / 'gensynth-dupname'}",
                                          f"gensynth-goodplugin @ {(PLUGINS_DIR / 'gensynth-goodplugin').as_uri()}"]
    requirements = tmp_path / "plugins.txt"
    requirements.write_text(frozen.stdout)
    assert gensynth(venv, "uninstall", "-y", "good", "dupname").returncode == 0
    assert {"good", "dupname"}.isdisjoint(rows(venv))
    restored = gensynth(venv, "install", "-r", str(requirements), *OFFLINE_ARGS)
    assert restored.returncode == 0, restored.stderr
    assert {"good", "dupname"} <= set(rows(venv))
