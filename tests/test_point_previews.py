"""2-D previews are scatter plots with axes, the mixture's true modes marked, as many points as the protocol."""

from __future__ import annotations

import numpy as np
import torch
from click.testing import CliRunner
from PIL import Image

from gensynth import api
from gensynth._discovery.registry import get_registry
from gensynth._models.images import POINT_PREVIEW_SAMPLES, Mixture, render_points
from gensynth.cli.main import cli


def red_pixels(image: np.ndarray) -> int:
    r, g, b = (image[..., i].astype(int) for i in range(3))
    return int(((r > 150) & (g < 90) & (b < 90)).sum())


def test_a_preview_draws_as_many_points_as_mode_coverage_evaluates():
    spec = get_registry().resolve("metrics", "mode_coverage")
    assert POINT_PREVIEW_SAMPLES == spec.load().default_samples == 2500


def test_scatter_plot_has_axes_points_and_marked_modes():
    modes = Mixture([[1.0, 0.0], [-1.0, 0.0]], 0.01)
    points = torch.tensor([[1.0, 0.0]] * 50 + [[0.0, 9.0]])  # one point far outside the frame
    picture = render_points(points, modes)
    assert picture.shape == (1, 3, 480, 480) and picture.min() >= -1 and picture.max() <= 1
    image = ((picture[0].permute(1, 2, 0) + 1) * 127.5).round().to(torch.uint8).numpy()
    dark = (image.max(axis=2) < 60).sum()
    assert dark > 2000  # the axes frame, ticks and labels
    assert red_pixels(image) > 20  # the true modes
    plain = ((render_points(points)[0].permute(1, 2, 0) + 1) * 127.5).round().to(torch.uint8).numpy()
    assert red_pixels(plain) == 0  # no mixture known: nothing marked


def test_training_and_sampling_a_point_model_write_scatter_plots(tmp_path):
    out = tmp_path / "ring"
    api.train("mlp-gan", "ring8", out, steps=2, config={"hidden": 8, "depth": 1}, progress="none", sample_every=2)
    preview = np.asarray(Image.open(out / "samples" / "step-00000002.png").convert("RGB"))
    assert preview.shape == (480, 480, 3) and red_pixels(preview) > 20
    result = CliRunner().invoke(cli, ["sample", str(out), "-o", str(tmp_path / "s.png")])
    assert result.exit_code == 0, result.output
    assert red_pixels(np.asarray(Image.open(tmp_path / "s.png").convert("RGB"))) > 20
