"""The GAN losses, regularisers and generator EMA, on hand-computed cases and tiny models."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from gensynth._errors import GensynthError
from gensynth.plugins.gan.config import MLPGANConfig
from gensynth.plugins.gan.ema import moving_average, ramped_decay, update_average
from gensynth.plugins.gan.losses import Hinge, LeastSquares, NonSaturating, Wasserstein
from gensynth.plugins.gan.mlp_gan import MLPGAN
from gensynth.plugins.gan.regularisers import add_spectral_norm, gradient_penalty, r1_penalty
from test_gan_models import ring_batch, train

REAL = torch.tensor([[2.0], [0.5]])
FAKE = torch.tensor([[-2.0], [0.5]])
LOSSES = {"bce": NonSaturating, "hinge": Hinge, "wgan-gp": Wasserstein, "lsgan": LeastSquares}


# -- losses: hand-computed values -----------------------------------------------------


def test_non_saturating_loss_of_zero_logits_is_log_two_per_term():
    zero = torch.zeros(3, 1)
    assert NonSaturating().discriminator(zero, zero).item() == pytest.approx(2 * math.log(2))
    assert NonSaturating().generator(zero).item() == pytest.approx(math.log(2))


def test_hinge_loss_of_known_logits():
    # D: mean(relu(1 - [2, .5])) + mean(relu(1 + [-2, .5])) = 0.25 + 0.75; G: -mean([-2, .5]) = 0.75
    assert Hinge().discriminator(REAL, FAKE).item() == pytest.approx(1.0)
    assert Hinge().generator(FAKE).item() == pytest.approx(0.75)


def test_wasserstein_loss_of_known_critic_values():
    # critic: mean(fake) - mean(real) = -0.75 - 1.25; generator: -mean(fake) = 0.75
    assert Wasserstein().discriminator(REAL, FAKE).item() == pytest.approx(-2.0)
    assert Wasserstein().generator(FAKE).item() == pytest.approx(0.75)
    assert Wasserstein.gradient_penalty == 10.0 and Hinge.gradient_penalty == 0.0


def test_least_squares_loss_of_known_outputs():
    real, fake = torch.tensor([[1.0], [0.0]]), torch.tensor([[0.0], [1.0]])
    # D: 1/2 mean([0, 1]) + 1/2 mean([0, 1]) = 0.5; G: 1/2 mean([1, 0]) = 0.25
    assert LeastSquares().discriminator(real, fake).item() == pytest.approx(0.5)
    assert LeastSquares().generator(fake).item() == pytest.approx(0.25)


@pytest.mark.parametrize("name", LOSSES)
def test_sign_conventions(name):
    """The discriminator's loss falls as it scores real higher and fake lower; the generator's
    loss falls as its fakes score higher."""
    loss = LOSSES[name]()
    low, high = torch.full((4, 1), -0.5), torch.full((4, 1), 0.5)
    assert loss.discriminator(high, low) < loss.discriminator(low, high)
    assert loss.generator(high) < loss.generator(low)
    assert torch.isfinite(loss.discriminator(REAL, FAKE)) and torch.isfinite(loss.generator(FAKE))


# -- regularisers -----------------------------------------------------------------------


def linear_critic(weights: list[float]) -> nn.Linear:
    critic = nn.Linear(len(weights), 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([weights]))
        critic.bias.fill_(0.7)
    return critic


def test_gradient_penalty_of_a_linear_critic_is_its_norm_minus_one_squared():
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    assert gradient_penalty(linear_critic([3.0, 4.0]), real, fake).item() == pytest.approx(16.0)  # (|w| - 1)^2, |w| = 5
    assert gradient_penalty(linear_critic([0.6, 0.8]), real, fake).item() == pytest.approx(0.0, abs=1e-6)


def test_gradient_penalty_is_differentiable_in_the_critic_weights():
    critic = linear_critic([3.0, 4.0])
    gradient_penalty(critic, torch.randn(8, 2), torch.randn(8, 2)).backward()
    # d/dw (|w| - 1)^2 = 2 (|w| - 1) w / |w| = 2 * 4 * (0.6, 0.8)
    assert torch.allclose(critic.weight.grad, torch.tensor([[4.8, 6.4]]), atol=1e-5)


def test_r1_of_a_known_function():
    real = torch.randn(16, 3)
    assert r1_penalty(linear_critic([1.0, 2.0, 2.0]), real).item() == pytest.approx(9.0)  # |w|^2
    # D(x) = |x|^2 / 2 has gradient x: R1 = E|x|^2
    assert r1_penalty(lambda x: 0.5 * x.pow(2).sum(dim=1), real).item() == pytest.approx(real.pow(2).sum(1).mean().item())


@pytest.mark.parametrize("layer", [nn.Linear(12, 6), nn.Conv2d(3, 8, 4, 2, 1), nn.Embedding(10, 5)])
def test_spectral_norm_keeps_the_largest_singular_value_near_one(layer):
    torch.manual_seed(0)
    with torch.no_grad():
        layer.weight.mul_(25)
    network = nn.Sequential(layer)
    add_spectral_norm(network)
    x = torch.randint(10, (4,)) if isinstance(layer, nn.Embedding) else torch.randn(4, *((12,) if isinstance(layer, nn.Linear) else (3, 8, 8)))
    for _ in range(30):  # one power iteration per training forward
        network(x)
    weight = layer.weight.detach().flatten(1)
    assert torch.linalg.matrix_norm(weight, ord=2).item() == pytest.approx(1.0, abs=0.02)


# -- EMA ------------------------------------------------------------------------------------


def test_ema_copies_during_warm_up_then_averages():
    network = nn.Linear(2, 1)
    average = moving_average(network, decay=0.9)
    assert not any(p.requires_grad for p in average.parameters())
    with torch.no_grad():
        network.weight.fill_(1.0)
    update_average(average, network, step=1, start=2)
    with torch.no_grad():
        network.weight.fill_(3.0)
    update_average(average, network, step=2, start=2)
    assert torch.equal(average.module.weight, torch.full((1, 2), 3.0))  # still warming up: a copy
    with torch.no_grad():
        network.weight.fill_(5.0)
    update_average(average, network, step=3, start=2)
    assert torch.allclose(average.module.weight, torch.full((1, 2), 0.9 * 3.0 + 0.1 * 5.0))
    update_average(average, network, step=4, start=2)
    assert torch.allclose(average.module.weight, torch.full((1, 2), 0.9 * 3.2 + 0.1 * 5.0))


def test_a_ramped_average_keeps_its_half_life_within_the_fraction_of_the_steps_so_far():
    network = nn.Linear(2, 1)
    average, plain = moving_average(network, decay=0.999, rampup=0.5), moving_average(network, decay=0.999)
    expected = 0.0
    for step in range(1, 40):
        with torch.no_grad():
            network.weight.fill_(float(step))
        update_average(average, network, step=step, start=0)
        update_average(plain, network, step=step, start=0)
        decay = min(0.999, 0.5 ** (1 / (0.5 * (step - 1)))) if step > 1 else 0.0  # StyleGAN2-ADA's, in steps
        expected = decay * expected + (1 - decay) * step
        assert average.module.weight[0, 0].item() == pytest.approx(expected, rel=1e-6)
    assert plain.module.weight[0, 0].item() < 2 < 20 < average.module.weight[0, 0].item()  # plain: still near its copy
    assert ramped_decay(0.999, 0.05, 10 ** 6) == 0.999  # late in a long run: the decay alone
    assert ramped_decay(0.999, 0.0, 2) == 0.999  # no ramp


def test_the_ramp_counts_the_steps_of_the_run_not_those_since_the_warm_up():
    model = MLPGAN(MLPGANConfig(hidden=4, depth=1, ema_decay=0.999, ema_rampup=0.5, ema_start=3))
    first = next(model.gen.parameters())
    expected = 0.0
    for step in range(1, 10):
        with torch.no_grad():
            first.fill_(float(step))
        model.end_iteration(step)
        decay = min(0.999, 0.5 ** (1 / (0.5 * (step - 1)))) if step > 3 else 0.0  # copies during the warm-up
        expected = decay * expected + (1 - decay) * step
        assert next(model.gen_ema.module.parameters())[0, 0].item() == pytest.approx(expected, rel=1e-6)


class Symmetric(nn.Module):
    """A parametrization that changes more than the scale: spectral norm after it must see its output."""

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight.triu() + weight.triu(1).transpose(0, 1)


def test_the_average_of_a_spectrally_normed_network_keeps_spectral_norm_one():
    torch.manual_seed(0)
    network = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4), nn.ReLU(), nn.Linear(4, 4))
    parametrize.register_parametrization(network[4], "weight", Symmetric())
    add_spectral_norm(network, layers=(nn.Linear,))  # after Symmetric in the last layer's chain
    layers = network[0], network[2], network[4]
    average = moving_average(network, decay=0.5)
    for step in range(1, 30):
        with torch.no_grad():  # a weight that moves, as in training, its u and v following it
            for layer in layers:
                layer.parametrizations.weight.original.add_(torch.randn_like(layer.parametrizations.weight.original))
        network(torch.randn(4, 8))  # a training-mode forward: spectral norm's power iteration
        update_average(average, network, step=step, start=0)
    average.eval()
    for layer in (average.module[0], average.module[2], average.module[4]):
        assert torch.linalg.matrix_norm(layer.weight, ord=2).item() == pytest.approx(1.0, abs=0.05)


def test_samples_come_from_the_average_by_default():
    model = MLPGAN(MLPGANConfig(hidden=16, depth=1, ema_decay=0.5, ema_start=0))
    train(model, ring_batch, steps=3)
    assert not torch.equal(model.sample(8, seed=0), model.sample(8, seed=0, ema=False))
    raw = MLPGAN(MLPGANConfig(hidden=16, depth=1, ema_decay=0.0))
    assert raw.gen_ema is None and torch.equal(raw.sample(8, seed=0), raw.sample(8, seed=0, ema=False))


# -- combined on a tiny model ----------------------------------------------------------------


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("regulariser", [{}, {"spectral_norm": True}, {"r1_gamma": 1.0, "r1_every": 2},
                                         {"gp_weight": 1.0}, {"spectral_norm": True, "r1_gamma": 1.0, "r1_every": 2}])
def test_every_loss_trains_with_every_regulariser(loss, regulariser):
    torch.manual_seed(0)
    model = MLPGAN(MLPGANConfig(hidden=16, depth=2, loss=loss, ema_start=0, **{"r1_gamma": 0.0, **regulariser}))
    logs, with_grad = train(model, ring_batch, steps=4)
    assert with_grad == {n for n, p in model.named_parameters() if p.requires_grad}
    assert all(math.isfinite(v) for step in logs for v in step.values())
    assert ("penalty/gp" in logs[0]) == (loss == "wgan-gp" or "gp_weight" in regulariser)
    assert ["r1" in step for step in logs] == ([False, True, False, True] if "r1_gamma" in regulariser else [False] * 4)


def test_generator_steps_every_n_disc_steps_and_two_time_scales():
    model = MLPGAN(MLPGANConfig(hidden=16, depth=1, n_disc=3, lr_g=1e-4, lr_d=4e-4))
    logs, _ = train(model, ring_batch, steps=6)
    assert ["g" in step for step in logs] == [False, False, True, False, False, True]
    optimizers = model.configure_optimizers()
    assert (optimizers["g"].param_groups[0]["lr"], optimizers["d"].param_groups[0]["lr"]) == (1e-4, 4e-4)


def test_gradient_penalty_weight_follows_the_loss_unless_set():
    assert MLPGAN(MLPGANConfig(loss="wgan-gp")).gp_weight == 10.0
    assert MLPGAN(MLPGANConfig(loss="wgan-gp", gp_weight=0.0)).gp_weight == 0.0
    assert MLPGAN(MLPGANConfig(loss="hinge")).gp_weight == 0.0


@pytest.mark.parametrize("values, message", [
    ({"n_disc": 0}, "'n_disc' must be at least 1"),
    ({"lr_g": -1.0}, "'lr_g' must be above 0"),
    ({"beta1": 1.0}, "'beta1' must be in [0, 1)"),
    ({"ema_decay": 1.0}, "'ema_decay' must be in [0, 1)"),
    ({"r1_gamma": -1.0}, "'r1_gamma' must be at least 0"),
    ({"loss": "elbo"}, "unknown loss 'elbo'; gan models take one of: bce, hinge, lsgan, wgan-gp (set it with "
                       "config={'loss': 'NAME'})"),
])
def test_bad_training_fields_are_clear_errors(values, message):
    with pytest.raises(GensynthError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        MLPGAN(MLPGANConfig(**values))
