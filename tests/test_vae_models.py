"""The built-in Gaussian-code VAE models (vae, beta-vae, cvae, iwae): shapes, losses and their tricks (KL warm-up,
free bits), the importance-weighted bound, likelihood maths, conditioning, interpolation.

Training one step, save/load and bit-exact resume of every built-in model at its
test config are checked by the conformance kit (tests/test_conformance.py); the
tests here cover what is particular to the VAE family.
"""

from __future__ import annotations

import math
import re

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from gensynth._errors import GensynthError
from gensynth._models.interpolation import interpolate
from gensynth.plugins.vae.beta_vae import BetaVAE
from gensynth.plugins.vae.config import BetaVAEConfig, CVAEConfig, IWAEConfig, VAEConfig
from gensynth.plugins.vae.cvae import CVAE
from gensynth.plugins.vae.iwae import IWAE
from gensynth.plugins.vae.likelihoods import Bernoulli, Gaussian
from gensynth.plugins.vae.priors import GaussianMixture, StandardNormal, gaussian_kl_dims
from gensynth.plugins.vae.vae import VAE, importance_bound
from gensynth.testing import check_model

TINY = {"width": 4, "latent_dim": 3}
MODELS = {"vae": (VAE, VAEConfig), "beta-vae": (BetaVAE, BetaVAEConfig), "cvae": (CVAE, CVAEConfig),
          "iwae": (IWAE, IWAEConfig)}


def build(name: str, **values) -> VAE:
    cls, config = MODELS[name]
    torch.manual_seed(0)
    return cls(config(**{**TINY, **values}))


def batch_for(model: VAE, n: int = 3) -> dict[str, torch.Tensor]:
    c = model.config
    torch.manual_seed(1)
    return {"x": torch.rand(n, c.channels, c.image_size, c.image_size) * 2 - 1, "y": torch.tensor([0, 3, 9])[:n]}


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("size, channels, likelihood, blocks",
                         [(28, 1, "bernoulli", 1), (32, 3, "gaussian", 0), (64, 3, "bernoulli", 2)])
def test_one_step_at_every_resolution(name, size, channels, likelihood, blocks):
    model = build(name, image_size=size, channels=channels, likelihood=likelihood, blocks=blocks)
    batch = batch_for(model)
    optimizer = model.configure_optimizers()["vae"]
    (phase,) = model.training_phases()
    loss, logs = phase.loss(batch, {})
    loss.backward()
    assert torch.isfinite(loss) and all(torch.isfinite(v) for v in logs.values())
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    optimizer.step()
    shape = (3, channels, size, size)
    for images in (model.sample(3, seed=0, **({"labels": batch["y"]} if name == "cvae" else {})),
                   model.reconstruct(batch["x"]), model.previews(batch, 3, 0)["reconstructions"][..., size:]):
        assert images.shape == shape and images.dtype == torch.float32
        assert images.min() >= -1 and images.max() <= 1


@pytest.mark.parametrize("prior", ["normal", "mixture"])
def test_vae_loss_is_the_negative_elbo_with_its_parts(prior):
    model = build("vae", prior=prior)
    (phase,) = model.training_phases()
    loss, logs = phase.loss(batch_for(model), {})
    assert phase.name == "nelbo" and set(logs) == {"recon", "kl"}
    assert torch.allclose(loss, logs["recon"] + logs["kl"])
    assert logs["kl"] > 0 or prior == "mixture"  # the mixture's KL is a one-sample estimate


def test_mixture_prior_is_a_normalised_mixture_and_samples_from_the_seed():
    prior = GaussianMixture(3, 5)
    with torch.no_grad():
        prior.logits.normal_()
        prior.log_vars.normal_(0, 0.5)
    reference = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(logits=prior.logits),
        torch.distributions.Independent(Normal(prior.means, (0.5 * prior.log_vars).exp()), 1))
    z = torch.randn(7, 3)
    assert torch.allclose(prior.log_prob(z), reference.log_prob(z), atol=1e-5)
    draw = lambda seed: prior.sample(4, torch.device("cpu"), torch.Generator().manual_seed(seed))  # noqa: E731
    assert torch.equal(draw(1), draw(1)) and not torch.equal(draw(1), draw(2))
    normal = StandardNormal(3)
    assert torch.allclose(normal.log_prob(z), Normal(0.0, 1.0).log_prob(z).sum(1), atol=1e-5)
    with pytest.raises(GensynthError, match="free_bits counts the KL of each latent dimension"):
        build("vae", prior="mixture", free_bits=0.5)


def test_beta_vae_weighs_kl_and_logs_the_true_nelbo():
    model = build("beta-vae", beta=4.0, kl_warmup_steps=4)
    (phase,) = model.training_phases()
    weights = []
    for steps_done in range(6):
        model.steps_done = steps_done
        weights.append(model.kl_weight())
    assert weights == [1.0, 2.0, 3.0, 4.0, 4.0, 4.0]  # iteration s uses beta * min(1, s / 4)
    model.steps_done = 1
    loss, logs = phase.loss(batch_for(model), {})
    assert phase.name == "objective" and set(logs) == {"nelbo", "recon", "kl", "schedule/kl_weight"}
    assert torch.allclose(logs["nelbo"], logs["recon"] + logs["kl"])
    assert torch.allclose(loss, logs["recon"] + 2.0 * logs["kl"])
    model.end_iteration(7)
    restored = build("beta-vae", beta=4.0, kl_warmup_steps=4)
    restored.load_training_state(model.training_state())
    assert restored.steps_done == 7


def test_beta_vae_warmup_resumes_exactly():
    report = check_model("beta-vae", config={"kl_warmup_steps": 3}, checks=["resume-exact"])
    assert report.ok, [r.message for r in report.failures]


def test_free_bits_count_each_dimension_at_least_the_floor():
    model = build("vae", free_bits=0.5, prior="normal")
    (phase,) = model.training_phases()
    torch.manual_seed(0)
    loss, logs = phase.loss(batch_for(model), {})
    torch.manual_seed(0)
    recon, kl_dims = model.elbo_terms_by_dim(batch_for(model)["x"])
    assert phase.name == "objective" and torch.allclose(logs["nelbo"], recon.mean() + kl_dims.sum(1).mean())
    assert torch.allclose(loss, recon.mean() + kl_dims.mean(0).clamp(min=0.5).sum())
    assert loss > logs["nelbo"]  # an untrained encoder's dimensions hold less than 0.5 nats each


def test_iwae_bound_is_the_elbo_at_k1_and_never_below_it():
    model = build("iwae", k=1)
    (phase,) = model.training_phases()
    x = batch_for(model)["x"]
    loss, logs = phase.loss({"x": x}, {})
    assert phase.name == "iwae" and torch.equal(loss, logs["nelbo"])  # one sample: the bound is the ELBO
    torch.manual_seed(0)
    one_sample = importance_bound(model.log_weights(x.repeat(4000, 1, 1, 1), 1)).view(4000, 3).mean(0)
    torch.manual_seed(0)
    analytic = model.elbo(x.repeat(4000, 1, 1, 1)).view(4000, 3).mean(0)  # closed-form KL
    assert torch.allclose(one_sample, analytic, atol=0.1)
    torch.manual_seed(0)
    weights = model.log_weights(x, 50)
    bounds = [importance_bound(weights[:, :k]) for k in (1, 5, 50)]
    assert torch.equal(bounds[0], weights[:, 0])
    assert (importance_bound(weights) >= weights.mean(1)).all()  # never below the ELBO of the same samples
    assert (bounds[2] >= weights.mean(1)).all() and torch.isfinite(bounds[2]).all()
    model.config.k = 5
    loss, logs = phase.loss({"x": x}, {})
    assert loss <= logs["nelbo"]


def test_closed_form_kl_matches_torch_distributions():
    mean, log_var = torch.randn(5, 4), torch.randn(5, 4)
    expected = kl_divergence(Normal(mean, (0.5 * log_var).exp()), Normal(0.0, 1.0)).sum(1)
    assert torch.allclose(gaussian_kl_dims(mean, log_var).sum(1), expected, atol=1e-5)


def test_likelihoods_are_sums_of_pixel_log_densities():
    x = torch.rand(2, 1, 4, 4) * 2 - 1
    u = (x + 1) / 2
    logits = torch.randn(2, 1, 4, 4)
    p = torch.sigmoid(logits)
    bernoulli = -(u * p.log() + (1 - u) * (1 - p).log()).flatten(1).sum(1)
    assert torch.allclose(Bernoulli().nll(logits, x), bernoulli, atol=1e-5)
    gaussian = Gaussian(0.2, learn=True)
    assert torch.allclose(gaussian.nll(p, x), -Normal(p, 0.2).log_prob(u).flatten(1).sum(1), atol=1e-4)
    assert [name for name, _ in gaussian.named_parameters()] == ["log_scale"]
    fixed = Gaussian(0.2, learn=False)
    assert not list(fixed.parameters()) and "log_scale" in fixed.state_dict()


def test_importance_sampling_tightens_the_elbo_and_is_seeded():
    model = build("vae", lr=1e-2)
    x = batch_for(model)["x"]
    optimizer, (phase,) = model.configure_optimizers()["vae"], model.training_phases()
    for _ in range(30):  # a decoder that depends on z, so that q(z|x) differs from the true posterior
        optimizer.zero_grad()
        phase.loss({"x": x}, {})[0].backward()
        optimizer.step()
    torch.manual_seed(0)
    elbo = torch.stack([model.elbo(x) for _ in range(20)]).mean(0)
    torch.manual_seed(0)
    log_p = model.log_likelihood(x, 200)
    torch.manual_seed(0)
    assert torch.equal(model.log_likelihood(x, 200), log_p)
    assert log_p.shape == elbo.shape == (3,)
    assert (log_p > elbo).all() and (log_p < 0).all()


def test_cvae_follows_labels_and_marginalises_without_them():
    model = build("cvae")
    x, y = batch_for(model).values()
    assert model.num_classes == 10
    assert not torch.equal(model.sample(3, seed=0, labels=y), model.sample(3, seed=0, labels=(y + 1) % 10))
    assert torch.equal(model.sample(3, seed=5), model.sample(3, seed=5))
    for estimate in (model.elbo(x), model.elbo(x, labels=y), model.log_likelihood(x, 4), model.log_likelihood(x, 4, y)):
        assert estimate.shape == (3,) and torch.isfinite(estimate).all()
    best = model.most_likely_classes(x)
    assert torch.equal(model.reconstruct(x), model.reconstruct(x, labels=best))


@pytest.mark.parametrize("labels, message", [
    (torch.tensor([0, 10, 1]), r"labels must lie in 0\.\.9, got 0\.\.10"),
    (torch.tensor([0, 1]), "got 2 labels for 3 images"),
])
def test_cvae_rejects_bad_labels(labels, message):
    with pytest.raises(GensynthError, match=message):
        build("cvae").sample(3, seed=0, labels=labels)


def test_cvae_checks_the_data_classes():
    model = build("cvae")
    model.bind_data({"source": "digits", "num_classes": 10})
    with pytest.raises(GensynthError, match=r"has 3 classes but this model is configured for 10; "
                                            r"pass config=\{'num_classes': 3\}"):
        model.bind_data({"source": "folder:x", "num_classes": 3})


@pytest.mark.parametrize("name, values, message", [
    ("vae", {"latent_dim": 0}, "'latent_dim' must be in [1, 4096], got 0"),
    ("vae", {"likelihood": "gaussian", "gaussian_scale": 0.0}, "'gaussian_scale' must be above 0"),
    ("vae", {"free_bits": -0.5}, "'free_bits' must be at least 0"),
    ("beta-vae", {"beta": -1.0}, "'beta' must be at least 0"),
    ("cvae", {"num_classes": 0}, "'num_classes' must be at least 1"),
    ("iwae", {"k": 0}, "'k' must be in [1, 4096]"),
])
def test_invalid_config_is_a_clear_error(name, values, message):
    with pytest.raises(GensynthError, match=re.escape(message)):
        build(name, **values)


def test_interpolation_ends_at_both_codes():
    start, end = torch.tensor([[3.0, 0.0], [1.0, 1.0]]), torch.tensor([[0.0, 3.0], [2.0, 2.0]])
    for spherical in (True, False):
        path = interpolate(start, end, 5, spherical)
        assert path.shape == (2, 5, 2) and torch.isfinite(path).all()
        assert torch.allclose(path[:, 0], start) and torch.allclose(path[:, -1], end)
    arc, line = interpolate(start, end, 3), interpolate(start, end, 3, spherical=False)
    assert math.isclose(arc[0, 1].norm().item(), 3.0, rel_tol=1e-5)  # stays on the circle of radius 3
    assert torch.allclose(line[0, 1], torch.tensor([1.5, 1.5]))
    assert torch.allclose(arc[1], line[1])  # parallel codes: the arc is the line
