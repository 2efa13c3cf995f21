"""Plugin switches, the settings folder, and which installer `gensynth install` runs (no packages installed)."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner

from gensynth._discovery import installer
from gensynth.cli.main import cli
from gensynth._errors import GensynthError
from gensynth._discovery.settings import PluginKey, PluginSwitches, config_dir, plugin_switches, save_switches


@pytest.fixture
def settings(monkeypatch, tmp_path):
    monkeypatch.setenv("GENSYNTH_CONFIG_DIR", str(tmp_path))
    return tmp_path


def invoke(*args):
    return CliRunner().invoke(cli, list(args), terminal_width=200)


def test_settings_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("GENSYNTH_CONFIG_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_dir() == tmp_path / "xdg" / "gensynth"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config_dir() == tmp_path / "home" / ".config" / "gensynth"
    monkeypatch.setenv("GENSYNTH_CONFIG_DIR", str(tmp_path / "mine"))
    assert config_dir() == tmp_path / "mine"


def test_disabled_plugins_are_kept_in_plugins_json_by_distribution_and_name(settings):
    assert plugin_switches() == PluginSwitches()
    save_switches(PluginSwitches().disabling({PluginKey("Gensynth_Sketch", "sketch"), PluginKey("gensynth", "gan")}))
    assert json.loads((settings / "plugins.json").read_text()) == {
        "disabled_plugins": [{"distribution": "gensynth", "plugin": "gan"},
                             {"distribution": "gensynth-sketch", "plugin": "sketch"}],
        "disabled": []}
    switches = plugin_switches()
    assert switches.is_disabled(PluginKey("gensynth", "gan"))
    assert not switches.is_disabled(PluginKey("gensynth-impostor", "gan"))  # same entry-point name, other package
    (settings / "plugins.json").write_text("{oops")
    with pytest.raises(GensynthError, match=r"plugin settings .*plugins.json are unreadable .*; fix the file or delete it"):
        plugin_switches()


def test_settings_files_of_earlier_versions_keep_working(settings):
    (settings / "plugins.json").write_text('{"disabled": ["gan"]}')  # a bare name: every plugin called gan
    assert plugin_switches().is_disabled(PluginKey("gensynth", "gan"))
    rows = {r["name"]: r for r in json.loads(invoke("plugins", "--json").output)}
    assert rows["gan"]["status"] == "disabled"
    enabled = invoke("plugins", "enable", "gan")
    assert enabled.exit_code == 0 and "Enabled plugin gan." in enabled.output
    assert plugin_switches() == PluginSwitches()


def test_disable_and_enable_switch_a_plugin_without_importing_it(settings):
    disabled = invoke("plugins", "disable", "gan")
    assert disabled.exit_code == 0 and "`gensynth plugins enable gan` turns it back on" in disabled.output
    assert "already disabled" in invoke("plugins", "disable", "gan").output
    rows = {r["name"]: r for r in json.loads(invoke("plugins", "--json").output)}
    assert rows["gan"]["status"] == "disabled" and rows["gan"]["registered"] == {}
    assert rows["datasets"]["status"] == "ok"
    assert invoke("plugins", "enable", "gan").exit_code == 0
    assert plugin_switches() == PluginSwitches()
    unknown = invoke("plugins", "disable", "no-such-plugin")
    assert unknown.exit_code == 1
    assert unknown.stderr.strip().splitlines() == ["Error: no installed plugin or plugin distribution is named "
                                                   "'no-such-plugin'; `gensynth plugins` lists them"]


def test_installer_is_pip_of_this_interpreter_else_uv_else_a_clear_error(monkeypatch):
    pip = installer.find_installer()
    assert pip.install_command(["-U", "x"]) == [sys.executable, "-m", "pip", "install", "-U", "x"]
    assert pip.uninstall_command(["x"]) == [sys.executable, "-m", "pip", "uninstall", "-y", "x"]
    monkeypatch.setattr(installer.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(installer.shutil, "which", lambda name: "/opt/bin/uv")
    uv = installer.find_installer()
    assert uv.install_command(["-e", "p"]) == ["/opt/bin/uv", "pip", "install", "--python", sys.executable, "-e", "p"]
    assert uv.uninstall_command(["x"]) == ["/opt/bin/uv", "pip", "uninstall", "--python", sys.executable, "x"]
    monkeypatch.setattr(installer.shutil, "which", lambda name: None)
    with pytest.raises(GensynthError, match=r"neither pip nor uv is available for .*: install pip with `.* -m ensurepip`"):
        installer.find_installer()


def test_plugin_probe_timeout_must_be_a_positive_number(settings, monkeypatch):
    monkeypatch.setenv("GENSYNTH_PLUGIN_TIMEOUT", "soon")
    result = invoke("plugins")
    assert result.exit_code == 1 and result.stderr.strip() == ("Error: GENSYNTH_PLUGIN_TIMEOUT must be a number of "
                                                               "seconds, got 'soon'")
