"""Latent walks for GANs: the ``latent`` and ``truncation`` capabilities, ``sample --interpolate`` and ``--truncation``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from gensynth import GensynthError, api
from gensynth._models.interpolation import latent_interpolations
from gensynth.cli.main import cli
from gensynth.plugins.gan.biggan import BigGAN
from gensynth.plugins.gan.cdcgan import CDCGAN
from gensynth.plugins.gan.config import BigGANConfig, CDCGANConfig, DCGANConfig, SNGANConfig
from gensynth.plugins.gan.dcgan import DCGAN
from gensynth.plugins.gan.sngan import SNGAN

TINY = {"g_width": 4, "d_width": 4, "latent_dim": 8}
MODELS = {
    "dcgan": lambda: DCGAN(DCGANConfig(**TINY)),
    "cdcgan": lambda: CDCGAN(CDCGANConfig(**TINY)),
    "sngan": lambda: SNGAN(SNGANConfig(**TINY, image_size=28)),
    "biggan": lambda: BigGAN(BigGANConfig(**TINY, image_size=28)),
}


def labels_for(model, n: int) -> dict:
    return {"labels": torch.arange(n) % model.num_classes} if model.num_classes else {}


@pytest.mark.parametrize("name", MODELS)
def test_interpolation_endpoints_are_the_plain_samples_of_the_same_latents(name):
    model, rows, steps = MODELS[name]().eval(), 3, 4
    row_labels = torch.arange(rows)  # a conditional walk keeps its row's class
    along = {"labels": row_labels.repeat_interleave(steps)} if model.num_classes else {}
    ends = {"labels": row_labels.repeat(2)} if model.num_classes else {}
    walks = latent_interpolations(model, rows, steps, seed=5, **along)
    walks = walks.view(rows, steps, *walks.shape[1:])
    plain = model.sample(2 * rows, seed=5, **ends)  # the codes of rows' starts, then of their ends
    assert torch.allclose(walks[:, 0], plain[:rows], atol=1e-6) and torch.allclose(walks[:, -1], plain[rows:], atol=1e-6)
    assert not torch.allclose(walks[:, 1], walks[:, 0])


@pytest.mark.parametrize("name", MODELS)
def test_truncation_zero_gives_the_mean_latents_image(name):
    model = MODELS[name]().eval()
    n = 4
    mean_image = model.decode_latents(model.mean_latent().expand(n, -1), **labels_for(model, n))
    assert torch.equal(model.sample(n, seed=1, truncation=0.0, **labels_for(model, n)), mean_image)
    assert torch.equal(model.sample(n, seed=1, truncation=1.0, **labels_for(model, n)),
                       model.sample(n, seed=1, **labels_for(model, n)))


@pytest.mark.parametrize("psi", [1.5, -0.5, float("nan"), float("inf"), "0.5", True])
def test_truncation_outside_zero_to_one_is_a_clear_error(psi):
    model = MODELS["dcgan"]()
    for method in (model.sample, model.sample_latents):
        with pytest.raises(GensynthError, match=r"^truncation must lie in \[0, 1\] \(1: no truncation, 0: the mean "
                                                rf"latent for every sample\), got {re.escape(repr(psi))}$"):
            method(2, seed=0, truncation=psi)


def test_a_conditional_gan_decodes_codes_only_with_labels():
    model = MODELS["cdcgan"]()
    with pytest.raises(GensynthError, match="this GAN is conditional: pass labels"):
        model.decode_latents(model.sample_latents(2, seed=0))


# -- the sampling command -----------------------------------------------------------------------


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def gan_runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    for name in ("dcgan", "vae"):
        config = TINY if name == "dcgan" else {"width": 4, "latent_dim": 4}
        api.train(name, "digits@:64", root / name, steps=1, batch_size=16, config=config, sample_every=1,
                  preview_samples=4)
    return {name: root / name for name in ("dcgan", "vae")}


def test_sample_interpolates_and_truncates_a_gan(gan_runs, tmp_path):
    out = tmp_path / "walk.png"
    result = invoke("sample", gan_runs["dcgan"], "--interpolate", "-n", 2, "--steps", 3, "--truncation", 0.5, "-o", out)
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.size == (3 * 30 + 2, 2 * 30 + 2)
    result = invoke("sample", gan_runs["dcgan"], "-n", 4, "--truncation", 0, "--out-dir", tmp_path / "each",
                    "-o", tmp_path / "mean.png")
    assert result.exit_code == 0, result.output
    pictures = [Image.open(p).tobytes() for p in sorted((tmp_path / "each").glob("*.png"))]
    assert len(pictures) == 4 and len(set(pictures)) == 1  # every sample is the mean latent's image


@pytest.mark.parametrize("run, args, message", [
    ("vae", ["--truncation", "0.5"], "--truncation needs a model with the 'truncation' capability"),
    ("dcgan", ["--truncation", "2"], "--truncation must lie in [0, 1] (1: no truncation, 0: the mean latent for "
                                     "every sample), got 2.0"),
    ("dcgan", ["--truncation", "nan"], "--truncation must lie in [0, 1]"),
    ("dcgan", ["--truncation", "-inf"], "--truncation must lie in [0, 1]"),
    ("vae", ["--truncation", "-0.1"], "--truncation must lie in [0, 1]"),  # the value is checked first
])
def test_truncation_errors_are_one_line(gan_runs, run, args, message):
    result = invoke("sample", gan_runs[run], *args)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
