"""Recipes (`--recipe`, `gensynth info`) and the conditional `cdcgan` through the CLI."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from gensynth import ModelSpec, Recipe, api
from gensynth.cli.main import cli
from gensynth._discovery.registry import get_registry
from gensynth._training.rundir import RunDir

TINY_IMAGES = ["--set", "g_width=4", "--set", "d_width=4", "--set", "latent_dim=8"]
PAD = 2  # grid padding in pixels


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], terminal_width=240)


def cells(count: int, size: int) -> int:
    return count * (size + PAD) + PAD


def train_tiny(tmp_path: Path, model: str, *extra: str) -> tuple[Path, dict]:
    out = tmp_path / model
    result = invoke("train", model, "--data", "digits", "--steps", 2, "--out", out, "--quiet", "--sample-every", 2,
                    *TINY_IMAGES, *extra)
    assert result.exit_code == 0, result.output
    return out, RunDir(out).read_config()


# -- recipes ------------------------------------------------------------------------------


def test_info_lists_the_recipes_and_marks_the_default():
    result = invoke("info", "dcgan")
    assert result.exit_code == 0, result.output
    assert "fast (default)" in result.output and "classic" in result.output and "wgan-gp" in result.output
    record = json.loads(invoke("info", "dcgan", "--json").output)
    assert record["default_recipe"] == "fast"
    assert {r["name"] for r in record["recipes"]} == {"fast", "classic", "stable", "wgan-gp"}


@pytest.mark.parametrize("model", ["dcgan", "cdcgan", "mlp-gan"])
def test_config_defaults_are_the_default_recipe(model):
    """Building a model from its config class alone gives what the default recipe trains."""
    spec = get_registry().resolve("models", model)
    defaults = spec.config().to_dict()
    assert spec.recipe(None).config == {k: defaults[k] for k in spec.recipe(None).config}


def test_default_recipe_applies_without_recipe(tmp_path):
    _, recorded = train_tiny(tmp_path, "dcgan")
    assert recorded["training"]["recipe"] == "fast"
    assert recorded["model"]["config"]["ema_decay"] == 0.99 and recorded["training"]["batch_size"] == 64


def test_a_recipe_sets_config_and_batch_size_under_explicit_values(tmp_path):
    _, recorded = train_tiny(tmp_path, "dcgan", "--recipe", "stable", "--set", "lr_g=1e-3")
    config = recorded["model"]["config"]
    assert (config["loss"], config["ema_decay"], config["spectral_norm"], config["lr_g"]) == ("hinge", 0.999, True, 1e-3)
    _, recorded = train_tiny(tmp_path / "c", "dcgan", "--recipe", "classic")
    assert recorded["training"]["batch_size"] == 128 and recorded["training"]["recipe"] == "classic"
    _, recorded = train_tiny(tmp_path / "b", "dcgan", "--recipe", "classic", "--batch-size", 8)
    assert recorded["training"]["batch_size"] == 8


def test_resume_keeps_the_runs_recipe(tmp_path):
    out, _ = train_tiny(tmp_path, "dcgan", "--recipe", "classic")
    result = invoke("train", "dcgan", "--data", "digits", "--steps", 3, "--out", out, "--resume", "--quiet", *TINY_IMAGES)
    assert result.exit_code == 0, result.output
    assert RunDir(out).read_config()["training"]["recipe"] == "classic"
    result = invoke("train", "dcgan", "--data", "digits", "--steps", 4, "--out", out, "--resume", "--quiet",
                    "--recipe", "fast", *TINY_IMAGES)
    assert result.exit_code != 0 and result.output.strip().splitlines() == [
        "Error: cannot resume: the run was trained with recipe 'classic', not 'fast'; drop --recipe or start a new "
        "run in another --out folder"]


def test_resume_keeps_the_runs_batch_size(tmp_path):
    out, _ = train_tiny(tmp_path, "dcgan", "--batch-size", 8)
    result = invoke("train", "dcgan", "--data", "digits", "--steps", 3, "--out", out, "--resume", "--quiet", *TINY_IMAGES)
    assert result.exit_code == 0, result.output
    assert RunDir(out).read_config()["training"]["batch_size"] == 8


def test_unknown_recipe_is_one_clear_line(tmp_path):
    result = invoke("train", "dcgan", "--data", "digits", "--steps", 1, "--out", tmp_path / "r", "--recipe", "modern")
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        "Error: gan:dcgan has no recipe 'modern'; choose one of: fast, classic, stable, wgan-gp (see `gensynth info gan:dcgan`)"]


def test_recipes_are_validated_at_registration():
    spec = get_registry().resolve("models", "dcgan")
    bad = dataclasses.replace(spec, recipes=(Recipe("x", "typo", config={"lr": 1.0}),), default_recipe="x")
    with pytest.raises(ValueError, match="recipe 'x' sets unknown config field 'lr'"):
        bad.validate()
    with pytest.raises(ValueError, match="default_recipe 'y' is not one of its recipes"):
        dataclasses.replace(spec, default_recipe="y").validate()
    with pytest.raises(ValueError, match="recipes may set only batch_size"):
        ModelSpec("m", "s", "a:b", recipes=(Recipe("x", "s", training={"steps": 5}),)).validate()


# -- cdcgan ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdcgan_run(tmp_path_factory) -> Path:
    out, _ = train_tiny(tmp_path_factory.mktemp("runs"), "cdcgan")
    return out


def test_cdcgan_samples_one_label_or_one_row_per_class(cdcgan_run, tmp_path):
    result = invoke("sample", cdcgan_run, "--label", 7, "-n", 6, "-o", tmp_path / "seven.png")
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "seven.png") as image:
        assert image.size == (cells(3, 28), cells(2, 28))
    result = invoke("sample", cdcgan_run, "-n", 30, "-o", tmp_path / "rows.png")
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "rows.png") as image:
        assert image.size == (cells(3, 28), cells(10, 28))  # 10 classes x 3
    with Image.open(sorted((cdcgan_run / "samples").glob("*.png"))[-1]) as preview:
        assert preview.size[1] == cells(10, 28)  # training previews: one row per class


def test_cdcgan_follows_the_labels(cdcgan_run):
    model = api.load_run(cdcgan_run)
    labels = torch.tensor([3, 3, 5, 5])
    samples = model.sample(4, seed=0, labels=labels)
    assert torch.equal(samples, model.sample(4, seed=0, labels=labels))
    # the same noise with another class gives another image; the noise alone does not decide
    assert not torch.equal(samples[:2], model.sample(4, seed=0, labels=torch.tensor([4, 4, 5, 5]))[:2])
    assert torch.equal(samples[2:], model.sample(4, seed=0, labels=torch.tensor([4, 4, 5, 5]))[2:])


@pytest.mark.parametrize("args, message", [
    (["--label", "10"], "label 10 is out of range: this model knows classes 0..9"),
])
def test_cdcgan_label_errors_are_one_line(cdcgan_run, args, message):
    result = invoke("sample", cdcgan_run, *args)
    assert result.exit_code != 0 and message in result.output and len(result.output.strip().splitlines()) == 1


def test_cdcgan_needs_labelled_data_with_matching_classes(tmp_path):
    result = invoke("train", "cdcgan", "--data", "digits", "--steps", 1, "--out", tmp_path / "r", "--set",
                    "num_classes=5", *TINY_IMAGES)
    assert result.exit_code != 0
    assert "has 10 classes but this model is configured for 5; pass --set num_classes=10" in result.output


def test_an_unconditional_gan_refuses_labels(tmp_path):
    out, _ = train_tiny(tmp_path, "dcgan")
    result = invoke("sample", out, "--label", 3)
    assert result.exit_code != 0 and "needs a model with the 'conditional' capability" in result.output


def test_point_data_of_another_dimension_is_one_line(tmp_path):
    result = invoke("train", "mlp-gan", "--data", "ring8", "--set", "dim=3", "--steps", 1, "--out", tmp_path / "r")
    assert result.exit_code == 1 and result.output.strip().splitlines() == [
        "Error: --data ring8 gives 2-dimensional points but the model asks for 3-dimensional ones; "
        "use data of that dimension or a model configured for 2 (e.g. --set dim=2)"]
    assert not (tmp_path / "r").exists()
