"""The metric math refuses what is not data (NaN, infinities, non-covariances, wrong shapes), naming the side;
FID's Cholesky route gives the value of the eigendecomposition route; evaluate refuses non-finite samples."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gensynth import api
from gensynth._errors import GensynthError
from gensynth._evaluation.statistics import gaussian_stats
from gensynth.plugins.metrics.frechet import frechet_distance, psd_sqrt
from gensynth.plugins.metrics.inception_score import inception_score
from gensynth.plugins.metrics.kid import kernel_inception_distance
from gensynth.plugins.metrics.precision_recall import precision_recall


def features(n: int, dim: int, seed: int, shift: float = 0.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    mixing = torch.randn(dim, dim, generator=g, dtype=torch.float64) / math.sqrt(dim)
    return (torch.randn(n, dim, generator=g, dtype=torch.float64) @ mixing).abs() + shift


def eigvals_fid(mu1, sigma1, mu2, sigma2) -> float:
    """An independent float64 reference: eigenvalues of Σ1·Σ2 with NumPy (torch-fidelity's formula)."""
    mu1, sigma1, mu2, sigma2 = (t.numpy() for t in (mu1, sigma1, mu2, sigma2))
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2)
                 - 2 * np.sqrt(np.linalg.eigvals(sigma1 @ sigma2).real.clip(min=0)).sum())


@pytest.mark.parametrize("n1, n2", [(400, 300), (40, 300), (300, 40), (40, 30)])  # full rank: both, one, none
def test_frechet_distance_is_exact_on_every_route(n1, n2):
    a, b = gaussian_stats(features(n1, 64, 0)), gaussian_stats(features(n2, 64, 1, 0.05))
    value = frechet_distance(*a, *b)
    root = psd_sqrt(a[1])
    middle = root @ b[1] @ root
    values = torch.linalg.eigvalsh((middle + middle.T) / 2)
    values = torch.where(values > 64 * 2.2e-16 * values.abs().max(), values, 0)
    by_eigh = float((a[0] - b[0]) @ (a[0] - b[0]) + a[1].trace() + b[1].trace() - 2 * values.sqrt().sum())
    assert math.isclose(value, by_eigh, rel_tol=1e-9), (value, by_eigh)
    # NumPy's eigenvalues of Σ1·Σ2 keep the square roots of rounding noise where a covariance is rank-deficient
    assert math.isclose(value, eigvals_fid(*a, *b), rel_tol=1e-9 if min(n1, n2) > 64 else 1e-7)


def test_frechet_distance_refuses_what_is_not_a_gaussian_fit():
    mean, cov = gaussian_stats(features(200, 16, 0))
    bad = cov.clone()
    bad[3, 3] = float("nan")
    with pytest.raises(GensynthError, match=r"NaN or infinite values in the reference covariance \(1 of 256 values\)"):
        frechet_distance(mean, cov, mean, bad, names=("generated", "reference"))
    with pytest.raises(GensynthError, match="NaN or infinite values in the generated mean"):
        frechet_distance(mean + float("inf"), cov, mean, cov, names=("generated", "reference"))
    not_psd = cov - 2 * float(torch.linalg.eigvalsh(cov).max()) * torch.eye(16, dtype=cov.dtype)
    with pytest.raises(GensynthError, match="the second covariance is not positive semi-definite"):
        frechet_distance(mean, cov, mean, not_psd)
    with pytest.raises(GensynthError, match="the first covariance is not positive semi-definite"):
        frechet_distance(mean, not_psd, mean, not_psd)
    asymmetric = cov.clone()
    asymmetric[0, 1] += 1.0
    with pytest.raises(GensynthError, match="the first covariance is not symmetric"):
        frechet_distance(mean, asymmetric, mean, cov)
    with pytest.raises(GensynthError, match=r"the second statistics do not fit together: a mean of shape \(16,\) "
                                            r"needs a covariance of shape \(16, 16\) and the covariance is \(8, 8\)"):
        frechet_distance(mean, cov, mean, cov[:8, :8])
    with pytest.raises(GensynthError, match="cannot compare features of dimension 16 .* with 8"):
        frechet_distance(mean, cov, mean[:8], cov[:8, :8])


def test_feature_metrics_refuse_non_finite_features_naming_the_side():
    real, generated = features(60, 8, 0).float(), features(60, 8, 1).float()
    broken = generated.clone()
    broken[5, 2] = float("nan")
    with pytest.raises(GensynthError, match=r"NaN or infinite values in the generated features \(1 of 60 rows\)"):
        kernel_inception_distance(broken, real, subsets=2, subset_size=10)
    with pytest.raises(GensynthError, match="NaN or infinite values in the generated features"):
        precision_recall(real, broken)  # once 0.9997 / 1.0
    with pytest.raises(GensynthError, match="NaN or infinite values in the real features"):
        precision_recall(broken, generated)
    with pytest.raises(GensynthError, match="NaN or infinite values in the class logits"):
        inception_score(broken, splits=2)
    with pytest.raises(GensynthError, match=r"KID needs the generated features as a matrix .* got shape \(60,\)"):
        kernel_inception_distance(generated[:, 0], real[:, 0], subsets=2, subset_size=10)


def test_evaluate_refuses_a_model_whose_samples_are_not_finite(tmp_path):
    run = tmp_path / "m"
    api.train("mlp-gan", "ring8", run, steps=1, batch_size=32, device="cpu", config={"hidden": 16})
    model = api.load_run(run)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.fill_(float("nan"))
    api.save_pretrained(model, tmp_path / "nan", "mlp-gan")
    with pytest.raises(GensynthError, match="generated 500 of 500 samples with NaN or infinite values"):
        api.evaluate(tmp_path / "nan", ["mode_coverage"], reference="ring8", num_samples=100, save=False)
