"""Name ownership: what a built-in plugin names (its models' short names, its entry point) means the built-in.

gensynth-dupname registers a model `dcgan`; gensynth-impostor declares an entry point
named `gan`, like the built-in plugin. Neither changes what `dcgan` or `gan` mean.
"""

from __future__ import annotations

import json

import pytest
from torch import nn

from gensynth import Model, ModelConfig
from gensynth._errors import GensynthError
from installed_plugins import run_gensynth

IMPOSTOR_REMEDY = "gensynth uninstall gensynth-impostor  or  gensynth plugins disable gensynth-impostor"


NO_HOSTILE = "gensynth-dupname,gensynth-impostor"  # the plugins that hang or exit are tested elsewhere


def plugin_rows(site, **env) -> list[dict]:
    result = run_gensynth(["plugins", "--json"], site, GENSYNTH_PLUGINS=NO_HOSTILE, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_third_party_dcgan_is_listed_under_its_id(crowded_site):
    listed = run_gensynth(["list-models", "--json"], crowded_site, GENSYNTH_PLUGINS=NO_HOSTILE)
    assert {"gan:dcgan", "dupname:dcgan"} <= {m["id"] for m in json.loads(listed.stdout)}
    info = run_gensynth(["info", "dcgan", "--json"], crowded_site, GENSYNTH_PLUGINS=NO_HOSTILE)
    assert info.returncode == 0 and json.loads(info.stdout)["id"] == "gan:dcgan"  # `train dcgan`: test_hostile_plugins


def test_strict_mode_fails_on_a_shadowed_name(crowded_site):
    result = run_gensynth(["--strict", "list-models"], crowded_site, GENSYNTH_PLUGINS="gensynth-dupname")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: plugin 'dupname' (gensynth-dupname 0.3.0): model name 'dcgan' belongs to the built-in gan:dcgan, so "
        "`dcgan` means the built-in and this one is reachable only as dupname:dcgan (rename it)")


def test_check_warns_about_a_shadowed_name(crowded_site):
    result = run_gensynth(["check", "dupname:dcgan", "--check", "metadata"], crowded_site, GENSYNTH_PLUGINS=NO_HOSTILE)
    assert "warning: plugin 'dupname' (gensynth-dupname 0.3.0): model name 'dcgan' belongs to the built-in" \
        in result.stderr


def test_an_entry_point_named_like_a_builtin_plugin_is_an_error_row_and_changes_nothing(crowded_site, tmp_path):
    site = crowded_site
    rows = plugin_rows(site)
    gan = next(r for r in rows if r["name"] == "gan" and r["builtin"])
    impostor = next(r for r in rows if r["distribution"] == "gensynth-impostor")
    assert gan["status"] == "ok" and gan["registered"]["models"] == ["dcgan", "cdcgan", "sngan", "biggan", "mlp-gan"]
    assert impostor["status"] == "error"
    assert impostor["reason"] == ("entry-point name 'gan' is already a built-in plugin of gensynth, which this one "
                                  "does not replace: it is not loaded; rename its entry point")
    assert impostor["remedy"] == IMPOSTOR_REMEDY  # switching off `gan` would switch off the built-in

    config = tmp_path / "config"
    disabled = run_gensynth(["plugins", "disable", "gensynth-impostor"], site, GENSYNTH_CONFIG_DIR=str(config))
    assert disabled.returncode == 0 and disabled.stdout.startswith("Disabled plugin gan of gensynth-impostor;")
    assert json.loads((config / "plugins.json").read_text()) == {
        "disabled_plugins": [{"distribution": "gensynth-impostor", "plugin": "gan"}], "disabled": []}
    rows = plugin_rows(site, GENSYNTH_CONFIG_DIR=str(config))
    assert [(r["distribution"], r["status"]) for r in rows if r["name"] == "gan"] == [
        ("gensynth", "ok"), ("gensynth-impostor", "disabled")]

    builtin_off = run_gensynth(["plugins", "disable", "gan"], site, GENSYNTH_CONFIG_DIR=str(config))
    assert builtin_off.stdout.startswith("Disabled plugin gan;")  # the bare name is the built-in's
    rows = plugin_rows(site, GENSYNTH_CONFIG_DIR=str(config))
    assert [r["status"] for r in rows if r["name"] == "gan"] == ["disabled", "disabled"]  # and never the impostor


@pytest.mark.parametrize("name", ["seeded_generator", "device", "sample", "parameters", "train"])
def test_a_model_attribute_that_hides_a_model_or_module_attribute_is_a_one_line_error(name):
    class Shadowing(Model):
        def __init__(self, config):
            super().__init__(config)
            setattr(self, name, nn.Linear(2, 2))

    owner = "torch.nn.Module" if name in ("parameters", "train") else "gensynth.Model"
    with pytest.raises(GensynthError, match=rf"^{__name__}\.test_.*Shadowing sets self\.{name}, which would hide "
                                            rf"{owner}\.{name}: rename the attribute \(for example to {name}_net"):
        Shadowing(ModelConfig())


def test_buffers_parameters_and_plain_values_cannot_hide_them_either():
    model = Model(ModelConfig())
    with pytest.raises(GensynthError, match="sets self.device, which would hide gensynth.Model.device"):
        model.device = "cpu"
    with pytest.raises(GensynthError, match="sets self.state_dict, which would hide torch.nn.Module.state_dict"):
        model.register_buffer("state_dict", None)
    with pytest.raises(GensynthError, match="sets self.previews"):
        model.register_parameter("previews", nn.Parameter(nn.init.zeros_(nn.Linear(1, 1).weight)))
    model.generator = nn.Linear(2, 2)  # the natural name is free: the helper is seeded_generator
    model.train(False)  # nn.Module's own bookkeeping (self.training) still works
    assert not model.training and isinstance(model.generator, nn.Linear)
