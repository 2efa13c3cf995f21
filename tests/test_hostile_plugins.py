"""Commands that import plugins in-process survive plugins that hang or end the process while imported.

gensynth-hangimport never finishes importing; gensynth-osexitimport calls os._exit(0)
(before, `list-models` and `train` then exited 0 having done nothing). A child-process
probe finds them once; its verdicts are cached, and in-process discovery skips them.
"""

from __future__ import annotations

import json

from installed_plugins import run_gensynth

TIMEOUT = "3"


def test_listing_info_and_train_of_a_builtin_survive_hostile_plugins(crowded_site, tmp_path):
    """Also: with a third-party `dcgan` installed, `gensynth train dcgan` trains the built-in."""
    site = crowded_site
    cache = tmp_path / "cache"
    env = {"GENSYNTH_CACHE_DIR": str(cache), "GENSYNTH_PLUGIN_TIMEOUT": TIMEOUT}

    first = run_gensynth(["list-models"], site, **env)  # nothing known yet: one probe in a child process
    assert first.returncode == 0, first.stderr
    assert "gan:dcgan" in first.stdout and "good:tiny-points" in first.stdout
    warnings = {line.split("'")[1]: line for line in first.stderr.splitlines() if line.startswith("warning:")}
    assert "plugin 'hangimport' (gensynth-hangimport 0.1.0) could not be loaded: error: loading did not finish " \
           f"within {TIMEOUT} s" in warnings["hangimport"]
    assert "plugin 'osexitimport' (gensynth-osexitimport 0.1.0) could not be loaded: error: the plugin ended the " \
           "process while loading (exit code 0)" in warnings["osexitimport"]
    assert all(w.endswith(")") and "gensynth plugins disable" in w for w in warnings.values())

    [cached] = (cache / "plugins").iterdir()
    written = cached.stat().st_mtime_ns
    again = run_gensynth(["list-models", "--json"], site, **env)
    assert again.returncode == 0, again.stderr
    assert {"gan:dcgan", "vae:vae", "good:tiny-points"} <= {m["id"] for m in json.loads(again.stdout)}
    assert cached.stat().st_mtime_ns == written  # the verdicts held: no probe this time

    info = run_gensynth(["info", "dcgan"], site, **env)
    assert info.returncode == 0 and "gan:dcgan" in info.stdout
    run = tmp_path / "run"
    trained = run_gensynth(["train", "dcgan", "--data", "digits", "--steps", "1", "--batch-size", "8", "--set", "g_width=8",
                            "--set", "d_width=8", "--out", str(run), "--quiet", "--device", "cpu"], site, **env)
    assert trained.returncode == 0, trained.stderr
    assert json.loads((run / "config.json").read_text())["model"]["id"] == "gan:dcgan"
    assert (run / "model.safetensors").is_file()

    strict = run_gensynth(["--strict", "list-models"], site, **env,
                          GENSYNTH_PLUGINS="gensynth-goodplugin,gensynth-hangimport,gensynth-osexitimport")
    assert strict.returncode == 1 and strict.stderr.startswith("Error: plugin 'hangimport'")
    assert cached.stat().st_mtime_ns == written
