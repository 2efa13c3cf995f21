"""Discovery with real installed plugin packages: good, broken, raising, duplicate, incompatible, slow."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from installed_plugins import env_with, installed_site, run_gensynth

ALL = ["gensynth-goodplugin", "gensynth-brokenimport", "gensynth-raisinghook", "gensynth-dupname", "gensynth-futureapi",
       "gensynth-badsignature"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return installed_site(tmp_path_factory, *ALL)


def plugins_json(site, **env):
    result = run_gensynth(["plugins", "--json"], site, **env)
    assert result.returncode == 0, result.stderr
    return {r["name"]: r for r in json.loads(result.stdout)}


def test_every_plugin_gets_a_row_with_its_status(site):
    rows = plugins_json(site)
    assert rows["gan"]["status"] == "ok" and rows["gan"]["builtin"]
    assert rows["good"]["status"] == "ok"
    assert rows["good"]["distribution"] == "gensynth-goodplugin" and rows["good"]["version"] == "1.2.0"
    assert rows["good"]["registered"] == {"models": ["tiny-points", "slow-points"], "losses": ["least-squares"],
                                          "datasets": ["line"]}
    assert rows["good"]["metric_values"] == {}
    assert rows["metrics"]["registered"]["metrics"][:2] == ["fid", "kid"]
    assert rows["metrics"]["metric_values"]["reconstruction"] == ["mse", "psnr"]
    assert rows["metrics"]["metric_values"]["kid"] == ["kid", "kid_std"]
    assert rows["brokenimport"]["status"] == "error"
    assert "ModuleNotFoundError" in rows["brokenimport"]["reason"]
    assert rows["raisinghook"]["status"] == "error" and "boom while registering" in rows["raisinghook"]["reason"]
    assert rows["raisinghook"]["registered"] == {}
    assert rows["futureapi"]["status"] == "incompatible"
    assert rows["futureapi"]["reason"] == "needs gensynth API >=2,<3, this is 1.0"


def test_a_hook_signature_that_does_not_match_the_hookspec_is_a_one_line_row(site):
    reason = plugins_json(site)["badsignature"]["reason"]
    assert reason == ("hook 'on_run_end' implemented as on_run_end(run, status, outcome) asks for {'outcome'}, which "
                      "the hook does not pass (it passes run, status): drop those arguments or give them defaults")
    table = run_gensynth(["plugins"], site)
    assert table.returncode == 0 and "Traceback" not in table.stderr
    assert "error: hook 'on_run_end' implemented as" in table.stdout


def test_plugins_table_shows_reasons(site):
    result = run_gensynth(["plugins"], site)
    assert result.returncode == 0
    assert "error: failed to import" in result.stdout
    assert "incompatible: needs gensynth API" in result.stdout


def test_list_models_survives_broken_plugins(site):
    result = run_gensynth(["list-models", "--json"], site)
    assert result.returncode == 0, result.stderr
    ids = {m["id"] for m in json.loads(result.stdout)}
    assert {"gan:dcgan", "gan:mlp-gan", "good:tiny-points", "good:slow-points", "dupname:dcgan"} <= ids  # by id
    assert not any(i.startswith(("raisinghook:", "futureapi:")) for i in ids)
    table = run_gensynth(["list-models"], site)
    assert "could not be loaded" in table.stderr and "brokenimport" in table.stderr


def test_a_short_name_of_a_builtin_means_the_builtin(site):
    """gensynth-dupname registers its own `dcgan`: `dcgan` stays the built-in, the other one is dupname:dcgan."""
    result = run_gensynth(["info", "dcgan", "--json"], site)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["id"] == "gan:dcgan"
    assert json.loads(run_gensynth(["info", "dupname:dcgan", "--json"], site).stdout)["id"] == "dupname:dcgan"
    conflict = plugins_json(site)["dupname"]["conflicts"]
    assert conflict == ["model name 'dcgan' belongs to the built-in gan:dcgan, so `dcgan` means the built-in and "
                        "this one is reachable only as dupname:dcgan (rename it)"]
    table = run_gensynth(["plugins"], site)
    assert "warning: model name 'dcgan' belongs to the built-in gan:dcgan" in table.stdout


def test_two_third_party_plugins_with_one_short_name_make_it_ambiguous():
    from gensynth import ModelConfig, ModelSpec, hookimpl
    from gensynth._discovery.loader import PluginManager, PluginRecord
    from gensynth._discovery.registry import Registry
    from gensynth._errors import GensynthError

    class Plugin:
        @hookimpl
        def register_models(self, register):
            register(ModelSpec(name="same", family="gan", summary="s", target="x:y", config=ModelConfig))

    manager = PluginManager()
    for name in ("one", "two"):
        manager.add_plugin(Plugin(), PluginRecord(name, f"gensynth-{name}", "1", name, builtin=False))
    registry = Registry(manager)
    registry.collect()
    registry.check_names()
    with pytest.raises(GensynthError, match="model name 'same' is ambiguous: use one of one:same, two:same"):
        registry.resolve("models", "same")
    assert registry.resolve("models", "two:same").plugin == "two"


def test_a_config_field_of_an_unsupported_type_is_its_plugins_error_row():
    import dataclasses

    from gensynth import ModelConfig, ModelSpec, field, hookimpl
    from gensynth._discovery.loader import PluginManager, PluginRecord
    from gensynth._discovery.registry import Registry

    @dataclasses.dataclass
    class Odd(ModelConfig):
        shape: dict = field({}, help="not a supported type")

    class Plugin:
        @hookimpl
        def register_models(self, register):
            register(ModelSpec(name="odd", summary="s", target="x:y", config=Odd))

    manager = PluginManager()
    record = PluginRecord("odd", "gensynth-odd", "1", "odd", builtin=False)
    manager.add_plugin(Plugin(), record)
    registry = Registry(manager)
    registry.collect()
    assert registry.list_models() == [] and record.status == "error"
    assert "config field 'shape': unsupported config field type" in record.reason, record.reason


def test_metrics_are_called_metrics_wherever_a_user_reads_them():
    """The hook is register_evaluators and the spec EvaluatorSpec (the plugin API), but rows and messages say metric."""
    from gensynth import EvaluatorSpec, GensynthError, ModelConfig, ModelSpec, hookimpl
    from gensynth._discovery.loader import PluginManager, PluginRecord
    from gensynth._discovery.registry import Registry

    class Metrics:
        @hookimpl
        def register_evaluators(self, register):
            register(EvaluatorSpec(name="sharpness", summary="s", target="gensynth_no_such_module:Sharpness",
                                   values=("sharpness", "sharpness_std")))

    class Wrong:
        @hookimpl
        def register_evaluators(self, register):
            register(ModelSpec(name="m", summary="s", target="x:y", config=ModelConfig))

    manager = PluginManager()
    for name, plugin in (("mine", Metrics()), ("wrong", Wrong())):
        manager.add_plugin(plugin, PluginRecord(name, f"gensynth-{name}", "1", name, builtin=False))
    registry = Registry(manager)
    registry.collect()
    mine, wrong = manager.record("mine"), manager.record("wrong")
    assert mine.registers == "metrics: sharpness" and mine.to_json()["registered"] == {"metrics": ["sharpness"]}
    assert mine.to_json()["metric_values"] == {"sharpness": ["sharpness", "sharpness_std"]}
    assert wrong.reason == "TypeError: register_evaluators expects EvaluatorSpec, got ModelSpec"
    with pytest.raises(GensynthError, match=r"^unknown metric 'sharpnes'; did you mean sharpness\?"):
        registry.resolve("metrics", "sharpnes")
    with pytest.raises(GensynthError, match=r"^metric mine:sharpness could not be loaded: its target "
                                            r"'gensynth_no_such_module:Sharpness' names a module that does not exist"):
        registry.resolve("metrics", "sharpness").load()
    with pytest.raises(ValueError, match=r"^metric 'sharp': values must be a tuple of value names"):
        EvaluatorSpec(name="sharp", summary="s", target="m:a", values="sharpness").validate()


def test_listing_does_not_import_slow_model_modules(site):
    began = time.perf_counter()
    result = run_gensynth(["list-models", "slow*"], site)
    assert result.returncode == 0 and "slow-points" in result.stdout
    assert time.perf_counter() - began < 2.5  # the model module sleeps 3 s on import


def test_gensynth_plugins_env_selects_third_party(site):
    rows = plugins_json(site, GENSYNTH_PLUGINS="gensynth-goodplugin")
    assert rows["good"]["status"] == "ok"
    assert rows["brokenimport"]["status"] == "skipped"
    assert rows["gan"]["status"] == "ok"  # built-ins always load
    none = plugins_json(site, GENSYNTH_PLUGINS="")
    assert all(r["builtin"] for r in none.values() if r["status"] != "skipped")
    assert {"gan", "datasets"} <= {n for n, r in none.items() if r["status"] == "ok"}


def test_strict_mode_turns_plugin_failures_into_errors(site):
    result = run_gensynth(["list-models"], site, GENSYNTH_STRICT="1")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: plugin ")
    assert "Traceback" not in result.stderr
    assert run_gensynth(["--strict", "list-models"], site, GENSYNTH_PLUGINS="gensynth-goodplugin").returncode == 0


def test_third_party_model_trains_and_samples(site, tmp_path):
    run = tmp_path / "run"
    result = run_gensynth(["train", "tiny-points", "--data", "good:line", "--steps", "30", "--batch-size", "32",
                           "--out", str(run), "--quiet", "--device", "cpu"], site, GENSYNTH_PLUGINS="gensynth-goodplugin")
    assert result.returncode == 0, result.stderr
    assert (run / "model.safetensors").is_file()
    sampled = run_gensynth(["sample", str(run), "-n", "16", "-o", str(tmp_path / "s.png")], site,
                           GENSYNTH_PLUGINS="gensynth-goodplugin")
    assert sampled.returncode == 0, sampled.stderr
    assert (tmp_path / "s.png").is_file()


def test_third_party_loss_drives_a_builtin_model(site, tmp_path):
    code = (
        "from gensynth import api\n"
        "from gensynth_goodplugin import losses\n"
        f"api.train('mlp-gan', 'ring8', {str(tmp_path / 'r')!r}, steps=3, batch_size=32, device='cpu',"
        " config={'loss': 'least-squares'})\n"
        "print(losses.CALLS['discriminator'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env_with(site, GENSYNTH_PLUGINS="gensynth-goodplugin"),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3"
    wrong = run_gensynth(["train", "mlp-gan", "--data", "ring8", "--steps", "1", "--set", "loss=nope",
                          "--out", str(tmp_path / "w")], site)
    assert wrong.returncode == 1 and "unknown loss 'nope'" in wrong.stderr
