"""Metric math against closed forms and reference computations (pytorch-fid's sqrtm FID, torch-fidelity's KID/IS/PRC)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import linalg

from gensynth._errors import GensynthError
from gensynth._evaluation.statistics import gaussian_stats, perplexity
from gensynth.plugins.metrics.frechet import frechet_distance
from gensynth.plugins.metrics.inception_score import inception_score
from gensynth.plugins.metrics.kid import kernel_inception_distance
from gensynth.plugins.metrics.coverage import mode_coverage
from gensynth.plugins.metrics.precision_recall import precision_recall


def correlated_features(n: int, d: int, seed: int, shift: float = 0.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    mixing = torch.randn(d, d, generator=g, dtype=torch.float64) / math.sqrt(d)
    return (torch.randn(n, d, generator=g, dtype=torch.float64) @ mixing + shift).float()


def sqrtm_fid(f1: torch.Tensor, f2: torch.Tensor) -> float:
    """pytorch-fid's calculate_frechet_distance, as it computes it (numpy.cov, scipy.linalg.sqrtm)."""
    a, b = f1.double().numpy(), f2.double().numpy()
    mu1, mu2 = a.mean(axis=0), b.mean(axis=0)
    sigma1, sigma2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(sigma1.dot(sigma2))
    covmean = covmean.real
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def fid(f1: torch.Tensor, f2: torch.Tensor) -> float:
    return frechet_distance(*gaussian_stats(f1), *gaussian_stats(f2))


def test_fid_of_identical_sets_is_zero():
    features = correlated_features(300, 32, seed=0)
    assert fid(features, features) == pytest.approx(0.0, abs=1e-9)


def test_fid_of_diagonal_gaussians_is_the_closed_form():
    mean1, mean2 = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 1.0, 0.0])
    var1, var2 = torch.tensor([1.0, 4.0, 0.25]), torch.tensor([9.0, 1.0, 0.25])
    expected = float(((mean1 - mean2) ** 2).sum() + ((var1.sqrt() - var2.sqrt()) ** 2).sum())
    assert frechet_distance(mean1, torch.diag(var1), mean2, torch.diag(var2)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("shift", [0.0, 0.3])
def test_fid_agrees_with_pytorch_fid_sqrtm_on_full_rank_features(shift):
    a, b = correlated_features(2000, 64, seed=1), correlated_features(2000, 64, seed=2, shift=shift)
    assert fid(a, b) == pytest.approx(sqrtm_fid(a, b), rel=1e-6)


def test_fid_of_rank_deficient_covariances_is_real_and_finite():
    a, b = correlated_features(20, 128, seed=3), correlated_features(30, 128, seed=4, shift=0.1)
    value = fid(a, b)
    assert math.isfinite(value) and value > 0
    assert fid(a, a) == pytest.approx(0.0, abs=1e-9)


def test_fid_refuses_mismatched_dimensions_and_single_samples():
    with pytest.raises(GensynthError, match="same extractor"):
        fid(correlated_features(10, 4, 0), correlated_features(10, 5, 0))
    with pytest.raises(GensynthError, match="at least 2"):
        gaussian_stats(torch.zeros(1, 3))


def reference_kid(gen: np.ndarray, real: np.ndarray, subsets: int, size: int, seed: int) -> tuple[float, float]:
    """torch-fidelity's kid_features_to_metric with its mmd2/kernel_poly, in float64."""
    rng = np.random.RandomState(seed)
    mmds = []
    for _ in range(subsets):
        x = gen[rng.choice(len(gen), size, replace=False)]
        y = real[rng.choice(len(real), size, replace=False)]
        k = lambda p, q: (p @ q.T / x.shape[1] + 1) ** 3  # noqa: E731
        kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
        m = size
        mmd = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.sum() / (m * m)
        mmds.append(mmd)
    return float(np.mean(mmds)), float(np.std(mmds))


def test_kid_agrees_with_the_reference_computation_and_is_seeded():
    gen, real = correlated_features(400, 16, seed=5, shift=0.2), correlated_features(300, 16, seed=6)
    mean, std = kernel_inception_distance(gen, real, subsets=20, subset_size=100, seed=7)
    ref_mean, ref_std = reference_kid(gen.double().numpy(), real.double().numpy(), 20, 100, 7)
    assert mean == pytest.approx(ref_mean, rel=1e-9) and std == pytest.approx(ref_std, rel=1e-9)
    assert kernel_inception_distance(gen, real, subsets=20, subset_size=100, seed=7) == (mean, std)
    assert kernel_inception_distance(gen, real, subsets=20, subset_size=100, seed=8)[0] != mean


def test_kid_with_fewer_samples_than_the_subset_size_is_a_clear_error():
    with pytest.raises(GensynthError, match=r"need at least that many samples .* kid\.subset_size=N with N <= 50"):
        kernel_inception_distance(torch.zeros(50, 4), torch.zeros(2000, 4))


def test_inception_score_closed_forms():
    one_hot = torch.eye(10).repeat(50, 1) * 50.0  # balanced, confident predictions over 10 classes
    assert inception_score(one_hot, splits=1)[0] == pytest.approx(10.0, rel=1e-9)
    assert inception_score(one_hot, splits=10, shuffle=False)[0] == pytest.approx(10.0, rel=1e-9)
    assert inception_score(torch.ones(500, 10), splits=10) == pytest.approx((1.0, 0.0))
    assert inception_score(torch.eye(4).repeat(5, 1) * 1e4, splits=1)[0] == pytest.approx(4.0)  # no 0 * log 0 NaN


def test_inception_score_matches_torch_fidelity_arithmetic_and_is_seeded():
    logits = torch.randn(1000, 7, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    shuffled = logits[torch.from_numpy(np.random.RandomState(2020).permutation(1000))]
    p = shuffled.softmax(1)
    scores = [float((p[i * 100:(i + 1) * 100] * (p[i * 100:(i + 1) * 100].log() - p[i * 100:(i + 1) * 100].mean(0).log()))
                    .sum(1).mean().exp()) for i in range(10)]
    assert inception_score(logits) == pytest.approx((np.mean(scores), np.std(scores)), rel=1e-12)
    with pytest.raises(GensynthError, match="at least 10 samples"):
        inception_score(logits[:5])


def brute_precision_recall(real: torch.Tensor, gen: torch.Tensor, k: int) -> tuple[float, float]:
    def radii(x):
        return torch.cdist(x, x).sort(dim=1).values[:, k]

    precision = (torch.cdist(gen, real) <= radii(real)[None]).any(1).double().mean()
    recall = (torch.cdist(real, gen) <= radii(gen)[None]).any(1).double().mean()
    return float(precision), float(recall)


def test_precision_recall_agrees_with_brute_force_and_closed_forms():
    real, gen = correlated_features(300, 8, seed=9).double(), correlated_features(250, 8, seed=10, shift=0.5).double()
    assert precision_recall(real, gen) == pytest.approx(brute_precision_recall(real, gen, 3), abs=1e-12)
    assert precision_recall(real, real) == (1.0, 1.0)
    assert precision_recall(real, gen + 1000.0) == (0.0, 0.0)
    with pytest.raises(GensynthError, match="more than 3 samples"):
        precision_recall(real, gen[:3])


def test_mode_coverage_closed_forms():
    modes = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    everywhere = modes.repeat(25, 1)
    assert mode_coverage(everywhere, modes, std=0.01) == {"modes": 4.0, "high_quality": 1.0, "reverse_kl": 0.0}
    collapsed = mode_coverage(modes[:1].repeat(100, 1) + 0.02, modes, std=0.01)
    assert collapsed["modes"] == 1.0 and collapsed["reverse_kl"] == pytest.approx(math.log(4))
    off = mode_coverage(torch.zeros(10, 2), modes, std=0.01)  # far from every mode: low quality, nothing captured
    assert off["modes"] == 0.0 and off["high_quality"] == 0.0


def test_perplexity_is_bit_identical_to_the_formulas_it_replaced():
    """gensynth.perplexity replaced the code_usage metric's own exp(H) and the VQ-VAE training log's; on code
    counts with and without unused codes it gives the metric's float64 value and the log's float32 value bit
    for bit."""
    def metric_before(counts):
        p = counts / counts.sum()
        return math.exp(float(-(p[p > 0] * p[p > 0].log()).sum()))

    def log_before(usage):
        frequencies = usage.double() / usage.sum()
        return (-(frequencies * frequencies.clamp(min=1e-30).log()).sum()).exp().float()

    g = torch.Generator().manual_seed(0)
    for trial in range(300):
        size = int(torch.randint(1, 1024, (), generator=g))
        weights = torch.rand(size, generator=g) ** (5 * float(torch.rand((), generator=g)))
        weights[torch.rand(size, generator=g) < (0.5 if trial % 2 else 0.0)] = 0
        weights[0] += 1e-3
        usage = torch.bincount(torch.multinomial(weights, 5000, replacement=True, generator=g), minlength=size)
        assert perplexity(usage.double()) == metric_before(usage.double())
        assert torch.equal(torch.tensor(perplexity(usage)), log_before(usage))
    assert perplexity(torch.tensor([3, 0, 3])) == 2.0 and perplexity(torch.tensor([0, 7])) == 1.0
