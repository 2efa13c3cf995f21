"""vq-vae: straight-through gradients, EMA codebook arithmetic, dead-code restarts, the two training stages
(phases with step ranges), exact resume in each stage, previews and seeded sampling from the learned prior,
and its metrics (reconstruction, code_usage, elbo)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from gensynth import Phase, api, perplexity
from gensynth.cli.main import cli
from gensynth.plugins.vae import VQ_TEST_CONFIG
from gensynth.plugins.vae.config import VQVAEConfig
from gensynth.plugins.vae.quantizer import VectorQuantizer
from gensynth.plugins.vae.vqvae import VQVAE
from resume_support import train_interrupted_then_resumed
from test_training import assert_identical, weights

COMMON = dict(config=VQ_TEST_CONFIG, batch_size=16, seed=3, device="cpu", checkpoint_every=100, sample_every=4,
              log_every=2, preview_samples=4)


def build(**values) -> VQVAE:
    torch.manual_seed(0)
    return VQVAE(VQVAEConfig(**{**VQ_TEST_CONFIG, **values}))


def images(n: int = 4, size: int = 28) -> torch.Tensor:
    torch.manual_seed(1)
    return torch.rand(n, 1, size, size) * 2 - 1


def test_straight_through_gradients_reach_the_encoder():
    quantizer = VectorQuantizer(4, 2, ema_decay=0.0, restart_threshold=0.0)
    z = torch.randn(2, 2, 3, 3, requires_grad=True)
    z_q, straight_through, indices = quantizer.quantize(z)
    assert torch.allclose(straight_through, z_q) and torch.equal(quantizer.lookup(indices), z_q)
    upstream = torch.randn_like(z)
    (straight_through * upstream).sum().backward()
    assert torch.equal(z.grad, upstream)  # the decoder's gradient, unchanged

    model = build()
    loss, logs = model.autoencoder_loss({"x": images()}, {})
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.encoder.parameters())
    assert all(p.grad is None for p in model.prior.parameters())
    assert {"recon", "commitment", "perplexity", "restarts"} <= set(logs)


def hand_made_quantizer(ema_decay: float, restart_threshold: float) -> VectorQuantizer:
    quantizer = VectorQuantizer(3, 1, ema_decay=ema_decay, restart_threshold=restart_threshold)
    quantizer.codebook.copy_(torch.tensor([[0.0], [10.0], [100.0]]))
    quantizer.code_sums.copy_(quantizer.codebook)
    return quantizer


def test_ema_codebook_update_arithmetic():
    quantizer = hand_made_quantizer(ema_decay=0.5, restart_threshold=0.0)
    z = torch.tensor([1.0, 2.0, 9.0]).view(1, 1, 1, 3)  # three vectors of dimension 1
    indices = quantizer.nearest(z)
    assert indices.tolist() == [[[0, 0, 1]]]
    quantizer.update(z, indices, quantizer.usage(indices))
    # counts: 0.5 * 1 + 0.5 * n with n = (2, 1, 0); sums: 0.5 * m + 0.5 * (1 + 2, 9, 0)
    assert torch.allclose(quantizer.code_counts, torch.tensor([1.5, 1.0, 0.5]))
    assert torch.allclose(quantizer.code_sums.flatten(), torch.tensor([1.5, 9.5, 50.0]))
    # codes = sums / Laplace-smoothed counts (the smoothing moves them by about 1e-5)
    assert torch.allclose(quantizer.codebook.flatten(), torch.tensor([1.0, 9.5, 100.0]), atol=1e-3)


def test_a_dead_code_is_restarted_on_an_encoder_output():
    quantizer = hand_made_quantizer(ema_decay=0.9, restart_threshold=1.0)
    z = torch.tensor([1.0, 2.0, 9.0, 11.0]).view(1, 1, 2, 2)
    torch.manual_seed(0)
    indices = quantizer.nearest(z)
    restarted = quantizer.update(z, indices, quantizer.usage(indices))
    assert restarted.tolist() == [2]  # code 2 (at 100) got no vector: its count fell to 0.9 < 1
    assert quantizer.codebook[2].item() in (1.0, 2.0, 9.0, 11.0)
    assert quantizer.code_counts[2] == 1.0 and torch.equal(quantizer.code_sums[2], quantizer.codebook[2])
    assert quantizer.code_counts[0] >= 1 and quantizer.code_counts[1] >= 1  # used codes stay
    assert quantizer.usage(torch.tensor([0, 0, 1, 1])).tolist() == [2, 2, 0]
    assert perplexity(quantizer.usage(torch.tensor([0, 0, 1, 1]))) == pytest.approx(2.0)


def test_phase_ranges_split_the_steps():
    first, second = Phase("a", "o", None, stop=0.5), Phase("b", "o", None, start=0.5)
    assert [s for s in range(1, 11) if first.active(s, 10)] == [1, 2, 3, 4, 5]
    assert [s for s in range(1, 11) if second.active(s, 10)] == [6, 7, 8, 9, 10]
    assert [s for s in range(1, 8) if Phase("c", "o", None, every=2, start=0.5).active(s, 7)] == [6]
    with pytest.raises(ValueError, match="need 0 <= start < stop <= 1"):
        Phase("d", "o", None, start=0.6, stop=0.6)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """8 steps of vq-vae on digits: steps 1-4 train the autoencoder, 5-8 the prior."""
    out = tmp_path_factory.mktemp("vq") / "run"
    api.train("vq-vae", "digits", out, steps=8, **COMMON)
    return out


@pytest.mark.parametrize("stop_at", [2, 6])  # stage 1 is steps 1-4, stage 2 steps 5-8
def test_resume_is_exact_in_either_stage(run, tmp_path, stop_at):
    train_interrupted_then_resumed("vq-vae", "digits", tmp_path / "split", steps=8, stop_at=stop_at, **COMMON)
    assert_identical(weights(run), weights(tmp_path / "split"))


def test_stages_train_their_own_networks_and_previews_follow(run):
    model = api.load_run(run)
    assert int(model.prior_steps) == 4
    pictures = sorted(p.name for p in (run / "samples").iterdir())
    # at step 4 the prior has not trained yet: reconstructions only; at step 8 samples from it too
    assert pictures == ["reconstructions-step-00000004.png", "reconstructions-step-00000008.png", "step-00000008.png"]


def test_sample_draws_from_the_prior_and_honours_the_seed(run, tmp_path):
    def sample(seed: int) -> bytes:
        out = tmp_path / f"{seed}.png"
        result = CliRunner().invoke(cli, ["sample", str(run), "-n", "4", "--seed", str(seed), "-o", str(out)])
        assert result.exit_code == 0, result.output
        with Image.open(out) as image:
            return image.tobytes()

    assert sample(1) == sample(1) and sample(1) != sample(2)
    model = api.load_run(run)
    assert torch.equal(model.sample_codes(3, seed=5), model.sample_codes(3, seed=5, prior="learned"))
    assert not torch.equal(model.sample_codes(3, seed=5), model.sample_codes(3, seed=5, prior="independent"))


def test_before_the_prior_trains_samples_use_code_frequencies():
    model = build()
    model.quantizer.code_counts.copy_(torch.tensor([0, 0, 5, 0, 0, 0, 0, 0.0]))  # only code 2 in use
    assert set(model.sample_codes(2, seed=0).flatten().tolist()) == {2}
    assert model.previews({"x": images()}, 4, 0).keys() == {"reconstructions"}
    assert torch.isfinite(model.elbo(images())).all()


def test_metrics_reconstruction_code_usage_and_elbo(run, tmp_path):
    report = api.evaluate(run, ["reconstruction", "code_usage", "elbo"], reference="digits@:64", device="cpu",
                          save=False)
    values = {name: value for result in report.results for name, value in result.values.items()}
    assert 0 < values["mse"] < 1 and values["psnr"] == pytest.approx(values["psnr"]) and values["psnr"] > 0
    assert 1 <= values["perplexity"] <= values["codes_used"] <= VQ_TEST_CONFIG["codebook_size"]
    assert values["neg_elbo"] > 0
    assert json.dumps(report.to_json())
