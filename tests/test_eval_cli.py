"""``gensynth evaluate`` end to end: tables, report files, protocols, the cache, determinism, one-line errors,
and evaluation during training."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from safetensors.torch import load_file

from gensynth import GensynthError, api, hookimpl
from gensynth._discovery.registry import get_registry
from gensynth.cli.main import cli
from gensynth.plugins.metrics import classifier

TINY_DCGAN = {"g_width": 8, "d_width": 8, "latent_dim": 16}
FAST = ["--reference", "digits@:600", "--num-samples", "600", "--extractor-option", "steps=40",
        "--extractor-option", "width=8", "--classifier-data", "digits@:600", "--device", "cpu"]
SMALL_KID = ["--param", "kid.subset_size=200", "--param", "kid.subsets=10"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A tiny DCGAN on digits and a tiny point GAN on ring8, with the cache in a temporary folder.

    Torch runs on one thread here: on a shared 2-core machine two spinning threads
    make these small convolutions many times slower.
    """
    root = tmp_path_factory.mktemp("eval")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENSYNTH_CACHE_DIR", str(root / "cache"))
        api.train("dcgan", "digits", root / "dcgan", steps=2, config=TINY_DCGAN, batch_size=16, device="cpu")
        api.train("mlp-gan", "ring8", root / "points", steps=2, batch_size=32, device="cpu")
        yield root
    torch.set_num_threads(threads)


def evaluate(*args):
    return CliRunner().invoke(cli, ["evaluate", *map(str, args)], terminal_width=200)


def test_evaluate_prints_a_table_and_writes_a_self_describing_report(runs):
    result = evaluate(runs / "dcgan", "--metrics", "fid,kid,is,prc", *FAST, *SMALL_KID)
    assert result.exit_code == 0, result.output
    words = " ".join(result.stdout.split())  # tables wrap at the terminal's width
    for name in ("fid", "kid", "is", "precision", "recall", "extractor metrics:classifier = classifier (trained on",
                 "feature space: classifier", "Not comparable with published numbers"):
        assert name in words
    written = Path(result.stderr.strip().splitlines()[-1].removeprefix("Wrote "))
    report = json.loads(written.read_text())
    assert written.parent == runs / "dcgan" / "eval" and report["run"]["model_id"] == "gan:dcgan"
    assert report["run"]["step"] == 2 and len(report["run"]["weights_sha256"]) == 64
    fid = next(r for r in report["results"] if r["metric"] == "metrics:fid")
    protocol = fid["protocol"]
    assert protocol["reference"] == {"spec": "digits@:600", "split": ":600", "num_samples": 600,
                                     "sha256": protocol["reference"]["sha256"]}
    assert protocol["generated"] == {"num_samples": 600, "seed": 0, "chunk": 500}
    extractor = protocol["extractor"]
    assert extractor["id"] == "metrics:classifier" and len(extractor["weights_sha256"]) == 64
    assert extractor["version"] == protocol["versions"]["plugin:metrics"]  # plugin updates change the protocol id
    assert 0 < extractor["test_accuracy"] <= 1 and extractor["recipe"]["steps"] == 40
    assert set(protocol["versions"]) == {"gensynth", "torch", "plugin:metrics"}
    kid = next(r for r in report["results"] if r["metric"] == "metrics:kid")
    assert kid["protocol"]["params"]["subset_size"] == 200 and set(kid["values"]) == {"kid", "kid_std"}
    for result in report["results"]:  # what each metric reports is what its EvaluatorSpec.values declares
        assert set(result["values"]) == set(get_registry().resolve("metrics", result["metric"]).values)


def test_same_inputs_give_the_same_numbers_from_the_cache(runs):
    cache = Path(runs / "cache")
    first = json.loads(evaluate(runs / "dcgan", "--metrics", "fid,is", *FAST, "--json", "--no-save").stdout)
    entries = sorted(p.relative_to(cache) for p in cache.glob("*/*") if p.is_dir())
    again = json.loads(evaluate(runs / "dcgan", "--metrics", "fid,is", *FAST, "--json", "--no-save").stdout)
    assert [r["values"] for r in first[0]["results"]] == [r["values"] for r in again[0]["results"]]
    assert sorted(p.relative_to(cache) for p in cache.glob("*/*") if p.is_dir()) == entries  # reused, not recomputed
    assert {p.parts[0] for p in entries} == {"classifiers", "reference-features"}
    other_seed = json.loads(evaluate(runs / "dcgan", "--metrics", "fid", *FAST, "--json", "--no-save", "--seed", "1").stdout)
    assert other_seed[0]["results"][0]["values"] != first[0]["results"][0]["values"]
    assert other_seed[0]["results"][0]["protocol_id"] != first[0]["results"][0]["protocol_id"]


def test_runs_measured_under_different_protocols_are_flagged(runs):
    result = evaluate(runs / "dcgan", runs / "dcgan", "--metrics", "fid", *FAST, "--no-save")
    assert result.exit_code == 0 and "not comparable" not in result.stderr
    other = [a if a != "digits@:600" else "digits@:700" for a in FAST]
    # one command can only use one reference; compare the saved reports of two commands instead
    from gensynth._evaluation.session import MetricResult, incomparable

    a = json.loads(evaluate(runs / "dcgan", "--metrics", "fid", *FAST, "--json", "--no-save").stdout)[0]["results"][0]
    b = json.loads(evaluate(runs / "dcgan", "--metrics", "fid", *other, "--json", "--no-save").stdout)[0]["results"][0]
    lines = incomparable([(label, MetricResult(r["metric"], r["values"], r["protocol"], 0.0)) for label, r in (("A", a), ("B", b))])
    assert len(lines) == 1 and "reference.num_samples" in lines[0] and "reference.sha256" in lines[0]


def test_mode_coverage_of_a_point_model(runs):
    result = evaluate(runs / "points", "--metrics", "mode_coverage", "--device", "cpu", "--json", "--no-save")
    assert result.exit_code == 0, result.output
    values = json.loads(result.stdout)[0]["results"][0]
    assert set(values["values"]) == {"modes", "high_quality", "reverse_kl"} == set(
        get_registry().resolve("metrics", "mode_coverage").values)
    assert values["protocol"]["generated"]["num_samples"] == 2500
    assert values["protocol"]["mixture"] == {"modes": 8, "std": 0.01}


@pytest.mark.parametrize("target,args,message", [
    ("dcgan", ["--metrics", "fidd"], "unknown metric 'fidd'; did you mean fid?"),
    ("dcgan", ["--metrics", "fid,psnr"],
     "Error: psnr is a value of metric reconstruction, not a metric: pass --metrics reconstruction (it reports mse, psnr)"),
    ("dcgan", ["--metrics", "nope"], "unknown metric 'nope' (the metrics are code_usage, elbo, fid, is, kid, "
                                     "mode_coverage, nll, prc, reconstruction, translation; see `gensynth plugins`)"),
    ("points", ["--metrics", "is"], "metric is does not apply to gan:mlp-gan: it needs generated images"),
    ("dcgan", ["--metrics", "elbo"], "metric elbo does not apply to gan:dcgan: it needs a model with a elbo() method"),
    ("dcgan", ["--metrics", "mode_coverage"], "metric mode_coverage does not apply to gan:dcgan"),
    ("points", ["--metrics", "mode_coverage", "--reference", "digits"], "--reference digits gives images"),
    ("dcgan", ["--metrics", "kid", *FAST], "KID subsets of 1000 need at least that many samples"),
    ("dcgan", ["--metrics", "fid", "--extractor", "nope"], "unknown extractor 'nope'"),
    ("dcgan", ["--metrics", "fid", "--param", "fid.k=3"], "metric fid has no parameter 'k'"),
    ("dcgan", ["--metrics", "kid", "--param", "kid.subsets=x"], "must be int, got 'x'"),
    ("dcgan", ["--metrics", "kid", "--param", "kid.seed=-1"],
     "config field 'seed' of metric kid must be in [0, 4294967295], got -1"),  # the one seed rule (seed_field)
    ("dcgan", ["--metrics", "fid", "--seed", "-1"], "--seed must be in [0, 4294967295], got -1"),
    ("dcgan", ["--metrics", "fid", "--extractor", "inception", "--extractor-weights", "/nonexistent/w.pth"],
     "download https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"),
    ("dcgan", ["--metrics", "fid", "--reference", "digits@5000:"], "--reference digits@5000: selects no samples"),
    ("dcgan", ["--metrics", "fid", "--num-samples", "0"], "--num-samples must be at least 1"),
])
def test_errors_are_one_clear_line(runs, target, args, message):
    result = evaluate(runs / target, *args, "--device", "cpu", "--no-save")
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.stderr



def test_a_metric_seed_out_of_range_is_refused_from_python_in_the_cli_words(runs):
    with pytest.raises(GensynthError, match=r"^config field 'seed' of metric kid must be in \[0, 4294967295\], "
                                            r"got -1$"):
        api.evaluate(runs / "dcgan", ["kid"], params={"kid": {"seed": -1}}, device="cpu", save=False)


#: One out-of-range value of each bounded metric parameter and classifier recipe field, and the bound it breaks.
OUT_OF_RANGE = [
    ("elbo", "batch_size", 0, "at least 1"),
    ("nll", "k", 0, "in [1, 100000]"),
    ("nll", "k", 100_001, "in [1, 100000]"),
    ("nll", "batch_size", -1, "at least 1"),
    ("kid", "subsets", 0, "at least 1"),
    ("kid", "subset_size", 1, "at least 2"),
    ("kid", "degree", 0, "at least 1"),
    ("kid", "gamma", 0.0, "above 0"),
    ("kid", "coef0", -1.0, "at least 0"),
    ("is", "splits", 0, "at least 1"),
    ("prc", "k", 0, "at least 1"),
    ("mode_coverage", "threshold", 0.0, "above 0"),
    ("translation", "batch_size", 0, "at least 1"),
    ("classifier", "width", 0, "in [1, 1024]"),
    ("classifier", "features", 4097, "in [1, 4096]"),
    ("classifier", "steps", 0, "in [1, 100000]"),
    ("classifier", "batch_size", 0, "at least 1"),
    ("classifier", "lr", 0.0, "above 0"),
    ("classifier", "test_fraction", 0.0, "in (0, 1)"),
    ("classifier", "test_fraction", 1.0, "in (0, 1)"),
]


def _refusal(owner, name, bound):
    """The one line refusing a value of ``owner``'s (a metric's or the classifier extractor's) field ``name``."""
    label = "extractor classifier" if owner == "classifier" else f"metric {owner}"
    return f"config field {name!r} of {label} must be {bound}, got "


def _classifiers(runs):
    folder = runs / "cache" / "classifiers"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("owner,name,value,bound", OUT_OF_RANGE)
def test_a_bounded_parameter_out_of_range_is_one_line_from_python(runs, owner, name, value, bound):
    """Metric parameters through ``api.evaluate`` (refused before the reference is loaded), recipe fields through
    the classifier's own parse (the CLI test below takes them through ``evaluate``)."""
    with pytest.raises(GensynthError, match="^" + re.escape(_refusal(owner, name, bound))) as refused:
        if owner == "classifier":
            classifier.parse_recipe({name: value})
        else:
            api.evaluate(runs / "dcgan", [owner], params={owner: {name: value}}, device="cpu", save=False)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("owner,name,value,bound", OUT_OF_RANGE)
def test_a_bounded_parameter_out_of_range_is_one_line_from_the_cli(runs, owner, name, value, bound):
    metric, option = ("fid", "--extractor-option") if owner == "classifier" else (owner, "--param")
    setting = f"{name}={value}" if owner == "classifier" else f"{owner}.{name}={value}"
    trained = _classifiers(runs)
    result = evaluate(runs / "dcgan", "--metrics", metric, option, setting, "--device", "cpu", "--no-save")
    assert result.exit_code == 1 and _classifiers(runs) == trained, result.output  # refused before any training
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: " + _refusal(owner, name, bound)), result.stderr


def test_the_bounds_leave_the_cache_key_of_the_default_classifier_as_it_was():
    assert classifier.parse_recipe({}).to_dict() == {"width": 16, "features": 128, "steps": 600, "batch_size": 64,
                                                     "lr": 1e-3, "test_fraction": 0.15, "seed": 0}


class Recorder:
    def __init__(self):
        self.results = []

    @hookimpl
    def on_evaluation_done(self, run, step, results):
        self.results.append((step, dict(results)))


def test_training_evaluates_every_n_steps_without_changing_the_training(runs, tmp_path):
    hook = Recorder()
    common = dict(steps=4, batch_size=32, seed=1, device="cpu", checkpoint_every=4)
    api.train("mlp-gan", "ring8", tmp_path / "evaluated", eval_every=2, eval_metrics=("mode_coverage",), hooks=[hook],
              **common)
    api.train("mlp-gan", "ring8", tmp_path / "plain", **common)
    assert [step for step, _ in hook.results] == [2, 4]
    assert set(hook.results[0][1]) == {"modes", "high_quality", "reverse_kl"}
    assert sorted(p.name for p in (tmp_path / "evaluated" / "eval").iterdir()) == ["step-00000002.json", "step-00000004.json"]
    a, b = load_file(str(tmp_path / "evaluated" / "model.safetensors")), load_file(str(tmp_path / "plain" / "model.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)  # evaluating draws nothing from the training's generators
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tmp_path / "evaluated" / "logs"))
    events.Reload()
    assert "eval/modes" in events.Tags()["scalars"]


def test_training_refuses_an_evaluation_that_cannot_apply_before_it_starts(tmp_path):
    with pytest.raises(Exception, match="metric fid does not apply to gan:mlp-gan"):
        api.train("mlp-gan", "ring8", tmp_path / "r", steps=2, device="cpu", eval_every=1, eval_metrics=("fid",))
    assert not (tmp_path / "r" / "checkpoints").exists()


def test_a_command_reads_the_runs_config_once(runs, tmp_path, monkeypatch):
    from gensynth._training.rundir import RunDir

    reads = []
    read = RunDir.read_config
    monkeypatch.setattr(RunDir, "read_config", lambda self: reads.append(self.path) or read(self))
    sample = CliRunner().invoke(cli, ["sample", str(runs / "points"), "-n", "100", "-o", str(tmp_path / "s.png")])
    assert sample.exit_code == 0 and len(reads) == 1, (sample.output, reads)
    result = evaluate(runs / "points", "--metrics", "mode_coverage", "--num-samples", "100", "--device", "cpu",
                      "--no-save")
    assert result.exit_code == 0 and len(reads) == 2, (result.output, reads)
