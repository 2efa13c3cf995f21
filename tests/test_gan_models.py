"""The built-in GAN models (dcgan, mlp-gan), driven by a small loop that follows the Trainer protocol."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file, save_file

from gensynth import GensynthError
from gensynth.plugins.gan.config import DCGANConfig, MLPGANConfig
from gensynth.plugins.gan.dcgan import DCGAN
from gensynth.plugins.gan.mlp_gan import MLPGAN
from gensynth._discovery.registry import get_registry


#: Small widths keep the tests fast; the default configs are built once each below.
SMALL_DCGAN = {"g_width": 8, "d_width": 8, "latent_dim": 16}
SMALL_MLP = {"hidden": 32, "depth": 2}


def image_batch(config: DCGANConfig, n: int = 4) -> dict[str, torch.Tensor]:
    return {"x": torch.rand(n, config.channels, config.image_size, config.image_size) * 2 - 1}


def ring_batch(n: int = 32) -> dict[str, torch.Tensor]:
    angles = torch.randint(0, 8, (n,)) * (2 * math.pi / 8)
    return {"x": torch.stack([angles.cos(), angles.sin()], 1) + 0.01 * torch.randn(n, 2)}


def train(model, make_batch, steps: int = 2) -> tuple[list[dict[str, float]], set[str]]:
    """Run ``steps`` iterations like the Trainer; return the logs and the names of parameters that got a gradient."""
    optimizers = model.configure_optimizers()
    logs, with_grad = [], set()
    for step in range(1, steps + 1):
        batch, scratch, step_logs = make_batch(), {}, {}
        for phase in model.training_phases():
            if not phase.active(step, steps):
                continue
            optimizer = optimizers[phase.optimizer]
            optimizer.zero_grad(set_to_none=True)
            loss, phase_logs = phase.loss(batch, scratch)
            loss.backward()
            with_grad |= {n for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
            optimizer.step()
            step_logs.update({phase.name: loss.item(), **{k: v.item() for k, v in phase_logs.items()}})
        model.end_iteration(step)
        logs.append(step_logs)
    return logs, with_grad


def check_trains(model, make_batch) -> None:
    logs, with_grad = train(model, make_batch)
    assert with_grad == {n for n, p in model.named_parameters() if p.requires_grad}
    for step_logs in logs:
        assert {"d", "g", "logits/real", "logits/fake"} <= set(step_logs)
        assert all(math.isfinite(v) for v in step_logs.values())


# -- dcgan ----------------------------------------------------------------------


@pytest.mark.parametrize("size", [28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_trains_and_samples_at_every_resolution(size, channels):
    config = DCGANConfig(image_size=size, channels=channels, **SMALL_DCGAN)
    model = DCGAN(config)
    check_trains(model, lambda: image_batch(config))
    samples = model.sample(3, seed=0)
    assert samples.shape == (3, channels, size, size)
    assert samples.dtype == torch.float32
    assert samples.min() >= -1 and samples.max() <= 1


def test_dcgan_data_request_follows_config():
    request = DCGAN(DCGANConfig(image_size=32, channels=3)).data_request()
    assert (request.kind, request.image_size, request.channels, request.labels) == ("image", 32, 3, False)


def test_dcgan_init_follows_the_paper():
    torch.manual_seed(0)
    model = DCGAN(DCGANConfig(image_size=64, g_width=16, d_width=16, spectral_norm=False, d_batch_norm=True))
    convs = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert all(abs(m.weight.std().item() - 0.02) < 0.005 for m in convs)
    assert all(abs(m.weight.mean().item() - 1) < 0.01 and m.bias.abs().max() == 0 for m in norms)


def test_dcgan_first_discriminator_layer_has_no_batchnorm():
    disc = DCGAN(DCGANConfig(**SMALL_DCGAN)).disc
    assert isinstance(disc[0], torch.nn.Conv2d) and isinstance(disc[1], torch.nn.LeakyReLU)


def test_dcgan_rejects_unsupported_size():
    with pytest.raises(GensynthError, match="one of 28, 32, 64"):
        DCGAN(DCGANConfig(image_size=48))


# -- mlp-gan --------------------------------------------------------------------


@pytest.mark.parametrize("build, make_batch", [
    pytest.param(lambda: DCGAN(DCGANConfig()), lambda: image_batch(DCGANConfig()), id="dcgan"),
    pytest.param(lambda: MLPGAN(MLPGANConfig()), ring_batch, id="mlp-gan"),
])
def test_default_config_trains(build, make_batch):
    check_trains(build(), make_batch)


def test_mlp_gan_samples_points():
    model = MLPGAN(MLPGANConfig(**SMALL_MLP))
    check_trains(model, ring_batch)
    assert model.sample(5, seed=0).shape == (5, 2)
    assert model.data_request().kind == "points"


# -- both -----------------------------------------------------------------------

MODELS = [
    pytest.param(lambda: DCGAN(DCGANConfig(**SMALL_DCGAN)), lambda: image_batch(DCGANConfig()), id="dcgan"),
    pytest.param(lambda: MLPGAN(MLPGANConfig(**SMALL_MLP)), ring_batch, id="mlp-gan"),
]


@pytest.mark.parametrize("build, make_batch", MODELS)
def test_sample_is_deterministic_and_leaves_global_rng_alone(build, make_batch):
    model = build()
    train(model, make_batch)
    rng = torch.get_rng_state()
    first = model.sample(4, seed=7)
    assert torch.equal(torch.get_rng_state(), rng)
    assert torch.equal(model.sample(4, seed=7), first)
    assert not torch.equal(model.sample(4, seed=8), first)


@pytest.mark.parametrize("build, make_batch", MODELS)
def test_sample_without_seed_uses_global_rng_and_keeps_mode(build, make_batch):
    model = build()
    train(model, make_batch)
    torch.manual_seed(3)
    first = model.sample(4)
    torch.manual_seed(3)
    assert torch.equal(model.sample(4), first)
    assert model.training
    model.eval()
    model.sample(2, seed=0)
    assert not model.training


@pytest.mark.parametrize("build, make_batch", MODELS)
def test_training_noise_comes_from_global_rng(build, make_batch):
    def run():
        torch.manual_seed(11)
        model = build()
        train(model, make_batch, steps=3)
        return model.state_dict()

    first, second = run(), run()
    assert all(torch.equal(first[k], second[k]) for k in first)


@pytest.mark.parametrize("build, make_batch", MODELS)
def test_safetensors_round_trip_gives_identical_samples(build, make_batch, tmp_path):
    model = build()
    train(model, make_batch)
    save_file(model.state_dict(), tmp_path / "model.safetensors")
    restored = build()
    restored.load_state_dict(load_file(tmp_path / "model.safetensors"))
    assert torch.equal(restored.sample(6, seed=1), model.sample(6, seed=1))


# -- registration ---------------------------------------------------------------


@pytest.mark.parametrize("name, cls, config, data", [
    ("dcgan", DCGAN, DCGANConfig, "image"),
    ("mlp-gan", MLPGAN, MLPGANConfig, "points"),
])
def test_registered_through_entry_point(name, cls, config, data):
    spec = get_registry().resolve("models", name)
    assert (spec.plugin, spec.family, spec.config, spec.data) == ("gan", "gan", config, data)
    assert spec.load() is cls


def test_dcgan_spec_lists_supported_shapes():
    spec = get_registry().resolve("models", "dcgan")
    assert (spec.resolutions, spec.channels) == ((28, 32, 64), (1, 3))
    assert {f.name for f in spec.config.fields_info()} >= {"image_size", "channels", "latent_dim", "g_width", "d_width"}


def test_plugin_registration_does_not_import_torch():
    code = "import sys, gensynth.plugins.gan, gensynth.plugins.gan.config; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
