"""pix2pix: the U-Net, the PatchGAN on (input, output) pairs, its losses, jitter, exact resume, and translate
through the CLI."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner
from PIL import Image

from safetensors.torch import load_file

from gensynth import GensynthError, api
from gensynth.cli.main import cli
from gensynth._discovery.registry import get_registry
from gensynth._training.rundir import RunDir
from gensynth.plugins.cyclegan.config import Pix2PixConfig, receptive_field
from gensynth.plugins.cyclegan.pix2pix import Pix2Pix, jittered
from gensynth.plugins.cyclegan.unet import unet_generator
from gensynth.plugins.metrics import classifier
from resume_support import train_interrupted_then_resumed
from test_cyclegan import seen_squares

TINY = {"image_size": 16, "channels_a": 1, "channels_b": 1, "ngf": 4, "ndf": 4}


def pair(n: int = 2, size: int = 16) -> dict[str, dict[str, torch.Tensor]]:
    return {"a": {"x": torch.rand(n, 1, size, size) * 2 - 1}, "b": {"x": torch.rand(n, 1, size, size) * 2 - 1}}


@pytest.mark.parametrize("size, downs", [(32, 5), (64, 6), (128, 7), (256, 8)])
def test_unet_keeps_the_size_down_to_a_one_pixel_bottleneck(size, downs):
    model = Pix2Pix(Pix2PixConfig(image_size=size, channels_a=3, channels_b=1, ngf=2, ndf=2))
    assert model.n_downs == downs
    seen = []
    innermost = model.g
    while innermost.inner is not None:
        innermost = innermost.inner
    innermost.down.register_forward_hook(lambda module, args, out: seen.append(out.shape))
    out = model.g(torch.zeros(2, 3, size, size))
    assert out.shape == (2, 1, size, size) and seen == [(2, 16, 1, 1)]
    dropouts = sum(isinstance(m, torch.nn.Dropout) for m in model.g.modules())
    assert dropouts == max(0, downs - 5)  # the reference's 3 extra 8-ngf blocks at 256 px


def test_unet_256_has_the_reference_parameter_count():
    assert sum(p.numel() for p in unet_generator(3, 3, 64, 8).parameters()) == 54_413_955  # "54.414 M"


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_patchgan_judges_input_output_pairs_within_its_receptive_field(layers):
    model = Pix2Pix(Pix2PixConfig(image_size=256, ngf=2, ndf=1, d_layers=layers, norm="instance"))
    assert model.d[0].in_channels == 6  # the input (3 channels) and the output (3) stacked
    side = receptive_field(layers)
    assert seen_squares(model.d, 6) == [(side, side)] * 6  # one output sees the same patch of both images


def test_generator_loss_is_adversarial_plus_lambda_times_l1():
    torch.manual_seed(0)
    batch = pair()

    def parts(**changes):
        torch.manual_seed(1)
        model = Pix2Pix(Pix2PixConfig(**TINY, jitter=0.0, flip=False, **changes))
        scratch: dict = {}
        for phase in model.training_phases():
            loss, logs = phase.loss(batch, scratch)
        fake = scratch["pair"][2]
        return loss.item(), {k: v.item() for k, v in logs.items()}, F.l1_loss(fake, batch["b"]["x"]).item()

    loss, logs, l1 = parts()
    assert set(logs) == {"g/l1", "g/adv"} and math.isclose(logs["g/l1"], 100 * l1, rel_tol=1e-6)
    assert math.isclose(loss, logs["g/l1"] + logs["g/adv"], rel_tol=1e-6)
    doubled, logs2, _ = parts(lambda_l1=200.0)
    assert math.isclose(logs2["g/l1"], 2 * logs["g/l1"], rel_tol=1e-6) and math.isclose(logs2["g/adv"], logs["g/adv"])
    assert math.isclose(parts(lambda_l1=0.0)[0], logs["g/adv"], rel_tol=1e-6)
    only_l1 = Pix2Pix(Pix2PixConfig(**TINY, lambda_gan=0.0))
    assert only_l1.d is None and [p.name for p in only_l1.training_phases()] == ["g"]
    assert set(only_l1.configure_optimizers()) == {"g"}
    l1_loss, l1_logs, l1_value = parts(lambda_gan=0.0)
    assert set(l1_logs) == {"g/l1"} and math.isclose(l1_loss, 100 * l1_value, rel_tol=1e-6)


def test_one_iteration_trains_both_networks_and_translation_is_deterministic():
    torch.manual_seed(0)
    model = Pix2Pix(Pix2PixConfig(**TINY))
    batch, optimizers, scratch = pair(4), model.configure_optimizers(), {}
    assert [p.name for p in model.training_phases()] == ["d", "g"]  # the reference updates D first
    for phase in model.training_phases():
        optimizers[phase.optimizer].zero_grad(set_to_none=True)
        loss, _ = phase.loss(batch, scratch)
        loss.backward()
        optimizers[phase.optimizer].step()
    assert all(p.grad is not None for p in model.parameters())
    model.train()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    first, again = model.translate(batch["a"]["x"]), model.translate(batch["a"]["x"])
    assert torch.equal(first, again) and first.shape == (4, 1, 16, 16)
    assert model.training and all(torch.equal(v, model.state_dict()[k]) for k, v in state.items())
    preview = model.previews(batch, 4, seed=0)["a2b"]
    assert preview.shape[:2] == (1, 1) and preview.min() >= -1 and preview.max() <= 1


def test_jitter_and_flip_move_input_and_target_together():
    torch.manual_seed(0)
    a = torch.rand(8, 1, 16, 16) * 2 - 1
    out_a, out_b = jittered(a, a.expand(-1, 3, -1, -1), 0.25, True)
    assert out_a.shape == a.shape and out_b.shape == (8, 3, 16, 16)
    assert torch.equal(out_b, out_a.expand(-1, 3, -1, -1)) and not torch.equal(out_a, a)
    plain = jittered(a, a, 0.0, False)
    assert torch.equal(plain[0], a)


def test_config_errors_are_one_line():
    with pytest.raises(GensynthError, match=r"image_size 28 is not a multiple of 2\^5 = 32.*n_downs to at most 2"):
        Pix2Pix(Pix2PixConfig(**{**TINY, "image_size": 28, "n_downs": 5}))
    assert Pix2Pix(Pix2PixConfig(**{**TINY, "image_size": 28})).n_downs == 2
    with pytest.raises(GensynthError, match="config field 'lambda_l1' must be at least 0"):
        Pix2PixConfig(lambda_l1=-1.0)
    with pytest.raises(GensynthError, match=r"d_layers must be between 1 and 2 for 16 px"):
        Pix2Pix(Pix2PixConfig(**TINY, d_layers=3))
    model = Pix2Pix(Pix2PixConfig(**TINY))
    with pytest.raises(GensynthError, match=r"cannot generate .*gensynth translate RUN INPUT -o OUT_DIR"):
        model.sample(2)
    with pytest.raises(GensynthError, match=r"unknown direction 'b2a': use a2b"):
        model.translate(torch.zeros(1, 1, 16, 16), "b2a")
    with pytest.raises(GensynthError, match=r"H and W multiples of 16, got \(1, 1, 24, 24\)"):
        model.translate(torch.zeros(1, 1, 24, 24))


@pytest.mark.parametrize("model", ["cyclegan", "pix2pix"])
def test_config_defaults_are_the_default_recipe(model):
    spec = get_registry().resolve("models", model)
    defaults = spec.config().to_dict()
    assert spec.recipe(None).config == {k: defaults[k] for k in spec.recipe(None).config}


# -- training -----------------------------------------------------------------------


def test_resume_is_bit_exact_with_jitter_dropout_and_batch_norm(tmp_path):
    """Interrupted at step 2 of 4 and resumed, a run ends exactly as one that ran through: at 64 px the
    U-Net has dropout (6 down-sampling steps), and jitter, mirroring and batch norm are on."""
    common = dict(config={**TINY, "image_size": 64, "ngf": 2, "ndf": 2}, batch_size=2, seed=1, device="cpu",
                  checkpoint_every=100, sample_every=100, log_every=1)
    data = "edges:digits@:12"
    api.train("pix2pix", data, tmp_path / "once", steps=4, **common)
    train_interrupted_then_resumed("pix2pix", data, tmp_path / "split", steps=4, stop_at=2, **common)
    runs = [RunDir(tmp_path / name) for name in ("once", "split")]
    weights = [load_file(str(run.weights_path)) for run in runs]
    assert any(k.endswith("running_mean") for k in weights[0])
    assert weights[0].keys() == weights[1].keys() and all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    once, split = (run.load_checkpoint(run.latest_checkpoint()[1])[1] for run in runs)
    assert once["step"] == split["step"] == 4 and once["schedulers"] == split["schedulers"]
    assert torch.equal(once["rng"]["torch"], split["rng"]["torch"])
    assert torch.equal(once["optimizers"]["g"]["state"][0]["exp_avg"], split["optimizers"]["g"]["state"][0]["exp_avg"])


# -- the command line ---------------------------------------------------------------


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], terminal_width=200)


def test_train_evaluate_and_translate_pix2pix_through_the_cli(tmp_path, monkeypatch):
    monkeypatch.setenv("GENSYNTH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(classifier, "parse_recipe", lambda options: classifier.ClassifierRecipe(steps=20, batch_size=8))
    run = tmp_path / "run"
    result = invoke("train", "pix2pix", "--data", "edges:digits@:64", "--set", "image_size=16",
                    "--set", "channels_a=1", "--set", "channels_b=1", "--set", "ngf=4", "--set", "ndf=4",
                    "--steps", 2, "--batch-size", 4, "--device", "cpu", "--quiet", "--out", run)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["a2b-step-00000002.png"]
    result = invoke("evaluate", run, "--metrics", "translation", "--param", "translation.source=edges:digits@64:96",
                    "--device", "cpu", "--json")  # the classifier learns the target domain (b) of the run's data
    assert result.exit_code == 0, result.output
    assert '"translation_accuracy"' in result.output and '"direction": "a2b"' in result.output
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(3):
        Image.fromarray(np.full((20, 20), 40 * i, dtype=np.uint8)).save(inputs / f"{i}.png")
    out, sheet = tmp_path / "out", tmp_path / "sheet.png"
    result = invoke("translate", run, inputs, "-o", out, "--sheet", sheet)  # its only direction: no --direction
    assert result.exit_code == 0, result.output
    assert "Wrote 3 translated PNGs" in result.stderr and f"contact sheet to {sheet}" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["0.png", "1.png", "2.png"]
    assert Image.open(out / "0.png").size == (16, 16)
    with Image.open(sheet) as picture:  # 3 rows of input | translated (pix2pix does not translate back)
        width, height = picture.size
    assert width > 2 * 56 and height > 3 * 56
    result = invoke("translate", run, "--direction", "b2a", inputs, "-o", out)
    assert result.exit_code == 1 and "unknown direction 'b2a': this model translates a2b" in result.stderr
    result = invoke("train", "pix2pix", "--data-a", "digits", "--data-b", "digits", "--steps", 1, "--out", tmp_path / "x")
    assert result.exit_code == 1 and "learns from aligned pairs" in result.stderr
