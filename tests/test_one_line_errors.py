"""Bad input gets one line, from the CLI (naming options) and from Python (naming arguments), checked before torch loads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from gensynth import api
from gensynth._data.spec import load_data
from gensynth._discovery.registry import get_registry
from gensynth._errors import GensynthError
from gensynth._metadata.request import DataRequest
from gensynth.cli import sampling
from gensynth.cli.main import cli
from installed_plugins import env_with

HUGE = "1180591620717411303424"
TRAIN = ["train", "dcgan", "--data", "digits", "--steps", "1", "--quiet"]


def fake_run(folder: Path, model: dict | list, **extra) -> Path:
    """A run directory holding only a ``config.json`` (enough for the checks made before torch loads)."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model": model, "training": {"steps": 4}, **extra}))
    return folder


DCGAN = {"id": "gan:dcgan", "config": {}}


def cli_cases(tmp: Path) -> list[tuple[list[str], str]]:
    run = fake_run(tmp / "r", DCGAN)
    dcgan = api.model_spec("dcgan")
    finished = fake_run(tmp / "finished", {"id": dcgan.id, "config": api.make_config(dcgan).to_dict()},
                        data={"spec": "digits", "info": {}})
    checkpoint = finished / "checkpoints" / "step-00000004"  # the step is in the folder's name
    checkpoint.mkdir(parents=True)
    (checkpoint / "state.json").write_text(json.dumps({  # the batch size and seed are in its state.json
        "step": 4, "optimizers": {}, "schedulers": {}, "rng": {"python": [], "numpy": [], "torch": []},
        "data": {"seed": 0, "batch_size": 64, "next_step": 4}}))
    resume = ["train", "dcgan", "--data", "digits", "--resume", "--out", str(finished)]
    (tmp / "c.yaml").write_text("g_width: 8\n")
    return [
        ([*TRAIN, "--seed", HUGE], f"--seed must be in [0, 4294967295], got {HUGE}"),
        (["sample", str(run), "--seed", HUGE], f"--seed must be in [0, 4294967295], got {HUGE}"),
        ([*TRAIN, "--set", "g_width=1e400"], "config field 'g_width' of gan:dcgan must be int, got '1e400'"),
        ([*TRAIN, "--set", "g_width=0"], "config field 'g_width' of gan:dcgan must be in [1, 1024], got 0"),
        ([*TRAIN, "--set", "g_width=-3"], "must be in [1, 1024], got -3"),
        ([*TRAIN, "--set", "latent_dim=0"], "config field 'latent_dim' of gan:dcgan must be in [1, 4096], got 0"),
        ([*TRAIN, "--set", "g_width=100000000"], "must be in [1, 1024], got 100000000"),
        ([*TRAIN, "--set", "lr_g=inf"], "config field 'lr_g' of gan:dcgan must be a finite number"),
        ([*TRAIN, "--batch-size", "0"], "--batch-size must be at least 1, got 0"),
        ([*TRAIN, "--keep-checkpoints", "-1"], "--keep-checkpoints must be at least 0, got -1"),
        ([*TRAIN, "--sample-every", "-1"], "--sample-every must be at least 0, got -1"),
        ([*TRAIN, "--extend"], "--extend lengthens a run being resumed; add --resume"),
        ([*resume, "--steps", "4"], "the run is already at step 4 of 4; pass a larger --steps to continue"),
        ([*resume, "--steps", "6", "--batch-size", "8"], "cannot resume with another batch size: checkpoint "
         "step-00000004 was trained with --batch-size 64; drop --batch-size or start a new run"),
        ([*resume, "--steps", "6", "--seed", "5"], "cannot resume with another seed: checkpoint step-00000004 was "
         "trained with --seed 0; drop --seed or start a new run"),
        (["train", "dcgan", "--data", "digits", "--epochs", "0"], "--epochs must be at least 1, got 0"),
        ([*TRAIN, "--config", str(tmp / "c.yaml")], ".yaml files are not read; give a JSON (.json) or TOML"),
        (["train", "dcgan", "--data", "digits@abc", "--steps", "1"],
         "--data digits@abc: the part after @ must be a range START:END of samples (e.g. digits@:1000"),
        (["sample", str(run), "-n", "1000000000"], "-n is at most 1,000,000 samples per command"),
        (["sample", str(run), "-n", "20000"], "a grid holds at most 10,000 samples, got -n 20,000; add --out-dir"),
        (["sample", str(run), "--nrow", "-3"], "--nrow must be at least 1, got -3"),
        (["sample", str(run), "-o", str(run / "model.safetensors")], "is inside the run's own files"),
        (["sample", str(run), "--out-dir", str(run / "checkpoints")], "is inside the run's own files"),
        (["sample", str(fake_run(tmp / "bad-model", {"id": "gan:dcgan", "config": [1]}))], "no valid 'model' entry"),
        (["sample", str(fake_run(tmp / "bad-data", DCGAN, data="digits"))], "has a damaged 'data' entry"),
        (["sample", str(fake_run(tmp / "bad-info", {"id": "gan:cdcgan", "config": {}},
                                 data={"spec": "digits", "info": {"num_classes": "x"}}))],
         "has a damaged 'data.info' entry"),
    ]


def test_cli_errors_are_one_line_and_come_before_torch_loads(tmp_path):
    """One process runs every case (cheap: torch never loads) and reports its output and whether torch was imported."""
    script = (
        "import json, sys\nfrom pathlib import Path\nfrom click.testing import CliRunner\n"
        "sys.path.insert(0, sys.argv[2])\nfrom test_one_line_errors import cli_cases\n"
        "from gensynth.cli.main import cli\nout = []\n"
        "for args, _ in cli_cases(Path(sys.argv[1])):\n"
        "    result = CliRunner().invoke(cli, args)\n"
        "    out.append([result.exit_code, result.output, 'torch' in sys.modules])\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "cases"), str(Path(__file__).parent)],
                          capture_output=True, text=True, env=env_with(None), timeout=300)
    assert proc.returncode == 0, proc.stderr
    for (args, message), (code, output, torch_loaded) in zip(cli_cases(tmp_path / "expected"),
                                                            json.loads(proc.stdout)):
        lines = output.strip().splitlines()
        assert code == 1 and len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], (args, output)
        assert not torch_loaded, args


def write_idx(folder: Path, count: int, rows: int, cols: int) -> None:
    folder.mkdir(parents=True)
    header = np.array([2051, count, rows, cols], dtype=">i4").tobytes()
    (folder / "train-images-idx3-ubyte").write_bytes(header + bytes(count * rows * cols))
    (folder / "train-labels-idx1-ubyte").write_bytes(np.array([2049, count], dtype=">i4").tobytes() + bytes(count))


@pytest.mark.parametrize("model", ["dcgan", "cdcgan"])
def test_damaged_mnist_files_are_one_line(tmp_path, model):
    write_idx(tmp_path / "empty", 0, 28, 28)
    write_idx(tmp_path / "flat", 2, 0, 0)
    for folder, message in [("empty", "hold no images"), ("flat", "holds images of 0x0 pixels")]:
        result = CliRunner().invoke(cli, ["train", model, "--data", f"mnist:{tmp_path / folder}", "--steps", "1",
                                          "--out", str(tmp_path / f"run-{folder}"), "--quiet"])
        lines = result.output.strip().splitlines()
        assert result.exit_code == 1 and len(lines) == 1 and message in lines[0], result.output
        assert not (tmp_path / f"run-{folder}").exists()


def test_an_unreadable_folder_is_named(tmp_path, monkeypatch):
    (tmp_path / "images").mkdir()
    monkeypatch.setattr("gensynth._data.files.os.access", lambda path, mode: False)
    with pytest.raises(GensynthError, match=r"cannot read folder .*images \(permission denied\)"):
        load_data(f"folder:{tmp_path / 'images'}", DataRequest(), get_registry())


@pytest.mark.parametrize("kwargs, message", [
    ({"data": None}, "data must be a data spec such as 'digits'"),
    ({"data": 123}, "data must be a data spec such as 'digits' .* got 123"),
    ({"foo": 1}, "unknown training option 'foo'; the options are steps, batch_size"),
    ({"steps": "two"}, "steps must be an integer, got 'two'"),
    ({"seed": 2**70}, "seed must be in \\[0, 4294967295\\], got 1180591620717411303424"),
    ({"batch_size": 0}, "batch_size must be at least 1, got 0"),  # the CLI says --batch-size, same words
    ({"epochs": 0, "steps": None}, "epochs must be at least 1, got 0"),
])
def test_python_api_errors_name_arguments(tmp_path, kwargs, message):
    arguments = {"data": "digits", "steps": 1, **kwargs}
    with pytest.raises(GensynthError, match=message):
        api.train("dcgan", out=tmp_path / "r", device="cpu", **arguments)
    assert not (tmp_path / "r").exists()


def test_models_check_sample_arguments_and_config_bounds():
    with pytest.raises(GensynthError, match=r"config field 'g_width' of gan:dcgan must be in \[1, 1024\], got -3"):
        api.build_model("dcgan", {"g_width": -3})
    with pytest.raises(GensynthError, match=r"seed must be in \[0, 4294967295\]"):
        api.build_model("dcgan", {"g_width": 8, "d_width": 8}, seed=2**70)
    model = api.build_model("vae", {"width": 4, "latent_dim": 4})
    with pytest.raises(GensynthError, match="n must be an integer of at least 1, got -1"):
        model.sample(-1)
    with pytest.raises(GensynthError, match=r"seed must be in \[0, 18446744073709551615\], got -1"):
        model.sample(2, seed=-1)
    assert model.sample(np.int64(2), seed=np.int64(3)).shape[0] == 2  # integer-likes are integers


def test_every_seed_follows_one_rule_in_the_same_words(tmp_path):
    """Training options, metric parameters and function arguments: integers in [0, MAX_SEED], refused alike."""
    from gensynth import MAX_SEED
    from gensynth._metadata.config import fields_info
    from gensynth._training.options import TrainOptions

    fields = [info for spec in get_registry().all("metrics") for info in spec.load().fields_info()]
    seeds = [info for info in [*fields, *fields_info(TrainOptions)] if info.name == "seed"]
    assert len(seeds) >= 6 and all(info.bounds == {"ge": 0, "le": MAX_SEED} for info in seeds), seeds
    with pytest.raises(GensynthError, match=r"^seed must be in \[0, 4294967295\], got -1$"):
        api.train("dcgan", "digits", tmp_path / "r", steps=1, seed=-1)
    with pytest.raises(GensynthError, match=r"^seed must be in \[0, 4294967295\], got -1$"):
        api.build_model("dcgan", seed=-1)
    assert not (tmp_path / "r").exists()


def test_a_config_left_out_is_the_fields_defaults():
    spec = api.model_spec("dcgan")
    assert api.make_config(spec) == api.make_config(spec, {}) == spec.config()


def test_a_subclass_that_assigns_a_default_keeps_the_declared_help_choices_and_bounds():
    import dataclasses

    from gensynth import ModelConfig, field

    @dataclasses.dataclass
    class Base(ModelConfig):
        width: int = field(8, help="feature maps", ge=1, le=64)
        mode: str = field("a", help="which mode", choices=("a", "b"))
        late: int = field(2, help="added later", ge=0, absent=0)

    @dataclasses.dataclass
    class Child(Base):
        width: int = 16
        mode: str = "b"
        late: int = 3

    base, child = ({i.name: i for i in cls.fields_info()} for cls in (Base, Child))
    assert [i.name for i in Child.fields_info()] == ["width", "mode", "late"]
    for name in base:
        assert (child[name].help, child[name].choices, child[name].bounds) == \
            (base[name].help, base[name].choices, base[name].bounds)
    assert (child["width"].default, child["mode"].default) == (16, "b")
    with pytest.raises(GensynthError, match=r"config field 'width' of m must be in \[1, 64\], got 65"):
        Child.from_dict({"width": 65}, model="m")
    with pytest.raises(GensynthError, match="mode"):
        Child.from_dict({"mode": "c"}, model="m")
    assert Base.recorded({}) == {"late": 0} and Child.recorded({}) == {}  # absent is each declaration's own

    @dataclasses.dataclass
    class Wide(Base):
        width: int = 128  # outside the declared bounds: refused when its model registers, not at every build

    from gensynth import ModelSpec
    with pytest.raises(ValueError, match=r"model 'm': its default config is refused: config field 'width' must be "
                                         r"in \[1, 64\], got 128"):
        ModelSpec(name="m", summary="s", target="x:y", config=Wide).validate()


def test_a_config_built_directly_is_converted_and_refused_as_from_dict_does():
    import dataclasses

    from gensynth import ModelConfig, field

    @dataclasses.dataclass
    class Config(ModelConfig):
        lr: float = field(2e-4, help="learning rate", gt=0)
        n: int = field(1, help="count", ge=1)
        name: str = field("a", help="name")
        widths: list[int] = field([8], help="widths", ge=1)

    assert Config(lr=1, n="7", widths=(4, 8)).to_dict() == {"lr": 1.0, "n": 7, "name": "a", "widths": [4, 8]}
    for kwargs, message in [({"lr": "abc"}, "config field 'lr' must be float, got 'abc'"),
                            ({"n": 2.5}, "config field 'n' must be int, got 2.5"),
                            ({"name": None}, "config field 'name' must be str, got None"),
                            ({"widths": [0]}, r"config field 'widths' must be at least 1, got \[0\]")]:
        with pytest.raises(GensynthError, match=f"^{message}$"):
            Config(**kwargs)


def test_every_numeric_field_of_the_built_in_models_declares_its_range():
    for spec in get_registry().list_models():
        for info in spec.config.fields_info():
            if info.type.removesuffix(" | None") in ("int", "float") and not info.choices:
                assert info.bounds, f"{spec.id}: {info.name} has no declared bounds"


def test_every_numeric_parameter_of_the_built_in_metrics_and_classifier_declares_its_range():
    from gensynth._evaluation.interfaces import Evaluator
    from gensynth.plugins.metrics.classifier import ClassifierRecipe

    owners = [(f"metric {spec.name}", spec.load_subclass(Evaluator)) for spec in get_registry().all("metrics")
              if spec.plugin == "metrics"]
    for owner, cls in [*owners, ("extractor classifier", ClassifierRecipe)]:
        for info in cls.fields_info():
            if info.type.removesuffix(" | None") in ("int", "float") and not info.choices:
                assert info.bounds, f"{owner}: {info.name} has no declared bounds"


def test_a_training_preview_holds_at_most_one_sample_grid():
    from gensynth._training.options import GRID_MAX, check_options

    check_options({"preview_samples": GRID_MAX})
    with pytest.raises(GensynthError, match=rf"preview_samples must be .*{GRID_MAX}.*, got {GRID_MAX + 1}"):
        check_options({"preview_samples": GRID_MAX + 1})


def test_sample_draws_large_counts_in_chunks(tmp_path, monkeypatch):
    run = tmp_path / "v"
    api.train("vae", "digits", run, steps=1, device="cpu", config={"width": 4, "latent_dim": 4})
    monkeypatch.setattr(sampling, "GRID_MAX", 5)
    result = CliRunner().invoke(cli, ["sample", str(run), "-n", "12", "--seed", "3", "-o", str(tmp_path / "g.png"),
                                      "--out-dir", str(tmp_path / "each")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "each").iterdir()) == [f"sample-{i:05d}.png" for i in range(12)]
    first = CliRunner().invoke(cli, ["sample", str(run), "-n", "5", "--seed", "3", "-o", str(tmp_path / "h.png")])
    assert first.exit_code == 0 and (tmp_path / "g.png").read_bytes() == (tmp_path / "h.png").read_bytes()


@pytest.mark.parametrize("env, prefix", [
    ({"RANK": "1", "WORLD_SIZE": "2"}, "Error (rank 1 of 2): "),
    ({"RANK": "0", "WORLD_SIZE": "2"}, "Error: "),
    ({"RANK": "1", "WORLD_SIZE": "two"}, "Error: "),  # an unreadable placement still gives the one line
])
def test_under_torchrun_an_error_names_its_process(tmp_path, monkeypatch, env, prefix):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["sample", str(fake_run(tmp_path / "r", DCGAN)), "--nrow", "-3"])
    assert result.exit_code == 1 and result.output == f"{prefix}--nrow must be at least 1, got -3\n", result.output
