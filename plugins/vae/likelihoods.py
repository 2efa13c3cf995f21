"""Decoder likelihoods p(x|z), selected by the ``likelihood`` config field.

Images arrive in [-1, 1] from the data layer; both likelihoods model the pixel
values ``u = (x + 1) / 2`` in [0, 1], so their nats are comparable with the
literature on MNIST-style data. The decoder gives one parameter per pixel
(Bernoulli logits or Gaussian means); negative log-likelihoods are summed over
pixels, giving nats per image.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gensynth.plugins.vae.config import VAEConfig

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def unit_pixels(x: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] as pixel values in [0, 1]."""
    return (x + 1) / 2


class Bernoulli(nn.Module):
    """Independent Bernoulli pixels with probabilities ``sigmoid(logits)``.

    Grey values are used as the target probabilities (binary cross-entropy against
    ``u`` in [0, 1], not binarised), the common practice for MNIST VAEs: the result
    is a proper likelihood only for binary data, and the same quantity every
    Bernoulli MNIST VAE reports.
    """

    def nll(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """-log p(x|z) per image (N,), in nats."""
        return F.binary_cross_entropy_with_logits(logits, unit_pixels(x), reduction="none").flatten(1).sum(1)

    def mean(self, logits: torch.Tensor) -> torch.Tensor:
        """The expected image in [-1, 1]."""
        return torch.sigmoid(logits) * 2 - 1


class Gaussian(nn.Module):
    """Independent Gaussian pixels with the decoder's means and one standard deviation for all pixels.

    The standard deviation is learned (a parameter ``log_scale``, as in the
    calibrated-decoder sigma-VAE of Rybkin et al. 2021) or fixed (a buffer).
    """

    def __init__(self, scale: float, learn: bool) -> None:
        super().__init__()
        log_scale = torch.tensor(math.log(scale))
        if learn:
            self.log_scale = nn.Parameter(log_scale)
        else:
            self.register_buffer("log_scale", log_scale)

    def nll(self, means: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """-log p(x|z) per image (N,), in nats (densities of pixel values in [0, 1] units)."""
        z = (unit_pixels(x) - means) * torch.exp(-self.log_scale)
        return (0.5 * z.square() + self.log_scale + HALF_LOG_2PI).flatten(1).sum(1)

    def mean(self, means: torch.Tensor) -> torch.Tensor:
        """The expected image in [-1, 1] (clamped: the Gaussian's support is unbounded)."""
        return (means * 2 - 1).clamp(-1, 1)


def likelihood(config: VAEConfig) -> Bernoulli | Gaussian:
    if config.likelihood == "gaussian":
        return Gaussian(config.gaussian_scale, config.learn_scale)
    return Bernoulli()
