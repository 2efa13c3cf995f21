"""`gensynth sample --label/--interpolate` and `gensynth reconstruct` on tiny VAE runs, with their errors,
and what a VAE run logs to TensorBoard."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from gensynth import api
from gensynth.cli.main import cli
from gensynth._discovery.registry import get_registry

TINY = {"width": 4, "latent_dim": 3}
PAD = 2  # grid padding in pixels


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    common = dict(steps=2, batch_size=16, device="cpu", sample_every=2, preview_samples=8)
    api.train("vae", "digits", root / "vae", config=TINY, **common)
    api.train("cvae", "digits", root / "cvae", config=TINY, **common)
    api.train("mlp-gan", "ring8", root / "gan", config={"hidden": 8, "depth": 1}, **common)
    return {name: root / name for name in ("vae", "cvae", "gan")}


def invoke(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def grid_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def cells(count: int, size: int) -> int:
    """Pixels that ``count`` grid cells of ``size`` pixels take along one side."""
    return count * (size + PAD) + PAD


def test_cvae_samples_one_class_or_one_row_per_class(runs, tmp_path):
    result = invoke("sample", runs["cvae"], "--label", 3, "-n", 5, "-o", tmp_path / "three.png")
    assert result.exit_code == 0, result.output
    assert grid_size(tmp_path / "three.png") == (cells(3, 28), cells(2, 28))
    result = invoke("sample", runs["cvae"], "-n", 20, "-o", tmp_path / "rows.png")
    assert result.exit_code == 0, result.output
    assert grid_size(tmp_path / "rows.png") == (cells(2, 28), cells(10, 28))  # 10 classes x 2


def test_interpolations_have_one_row_per_pair(runs, tmp_path):
    for run, extra in (("vae", ["--linear"]), ("cvae", ["--label", "7"]), ("cvae", [])):
        out = tmp_path / f"{run}-{len(extra)}.png"
        result = invoke("sample", runs[run], "--interpolate", "-n", 3, "--steps", 5, "-o", out, *extra)
        assert result.exit_code == 0, result.output
        assert grid_size(out) == (cells(5, 28), cells(3, 28))


def test_reconstruct_writes_inputs_beside_outputs(runs, tmp_path):
    for run in ("vae", "cvae"):
        out = tmp_path / f"{run}.png"
        result = invoke("reconstruct", runs[run], "--data", "digits", "-n", 8, "--nrow", 4, "-o", out)
        assert result.exit_code == 0, result.output
        assert grid_size(out) == (cells(4, 2 * 28), cells(2, 28))


@pytest.mark.parametrize("name, args, message", [
    ("vae", ["sample", "--label", "3"], "--label needs a model with the 'conditional' capability and vae:vae has "
                                         "latent, reconstruct; models that have it: gan:biggan, gan:cdcgan, vae:cvae"),
    ("cvae", ["sample", "--label", "10"], "label 10 is out of range: this model knows classes 0..9"),
    ("cvae", ["sample", "--label", "-1", "--interpolate"], "label -1 is out of range"),
    ("gan", ["sample", "--interpolate"], "--interpolate needs a model with the 'latent' capability"),
    ("vae", ["sample", "--interpolate", "--steps", "1"], "--steps must be at least 2"),
    ("gan", ["reconstruct", "--data", "ring8"], "reconstruct needs a model with the 'reconstruct' capability"),
    ("vae", ["reconstruct", "--data", "folder:/nonexistent/images"], "folder /nonexistent/images does not exist"),
])
def test_errors_are_one_clear_line(runs, name, args, message):
    command, *rest = args
    result = invoke(command, runs[name], *rest)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.stderr


def test_tensorboard_shows_the_negative_elbo_parts_and_reconstruction_grids(runs):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(runs["vae"] / "logs")).Reload()
    assert {"loss/nelbo", "loss/recon", "loss/kl"} <= set(events.Tags()["scalars"])
    assert {"samples", "reconstructions"} <= set(events.Tags()["images"])
    assert (runs["vae"] / "samples" / "reconstructions-step-00000002.png").is_file()


def test_listed_next_to_the_gans_without_importing_torch():
    code = ("import json, sys; from click.testing import CliRunner; from gensynth.cli.main import cli; "
            "out = CliRunner().invoke(cli, ['list-models', '--json']).output; "
            "print(json.dumps([json.loads(out), 'torch' in sys.modules]))")
    records, torch_loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                                      check=True).stdout)
    by_id = {r["id"]: r for r in records}
    assert {"vae:vae", "vae:beta-vae", "vae:cvae", "gan:dcgan"} <= set(by_id) and not torch_loaded
    assert by_id["vae:cvae"]["capabilities"] == ["conditional", "latent", "reconstruct"]
    assert by_id["vae:vae"]["family"] == "vae" and by_id["vae:vae"]["resolutions"] == [28, 32, 64]


@pytest.mark.parametrize("model", ["vae", "beta-vae", "cvae", "iwae"])
def test_config_defaults_are_the_default_recipe(model):
    spec = get_registry().resolve("models", model)
    defaults, recipe = spec.config().to_dict(), spec.recipe(None)
    assert recipe.name == "tuned" and recipe.config == {k: defaults[k] for k in recipe.config}
    assert spec.recipe("residual").config["blocks"] == 1 and spec.recipe("conv").config["blocks"] == 0
