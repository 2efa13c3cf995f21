"""Discriminator regularisers: spectral normalisation, R1 and the WGAN-GP gradient penalty.

Each penalty takes ``critic``, a function from inputs to discriminator outputs
(so a conditional model can close over its labels), and returns the mean
penalty over the batch without its weight.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

Critic = Callable[[torch.Tensor], torch.Tensor]

#: Layers whose weight spectral normalisation constrains.
_WEIGHTED = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)


def add_spectral_norm(network: nn.Module, layers: tuple[type[nn.Module], ...] = _WEIGHTED) -> None:
    """Spectral normalisation (Miyato et al. 2018) of every convolution, linear and embedding layer (or of
    the ``layers`` types given), with one power iteration per training forward; the ``u``/``v`` vectors
    live in the state dict."""
    for module in list(network.modules()):
        if isinstance(module, layers):
            spectral_norm(module)


def _input_gradients(critic: Critic, x: torch.Tensor) -> torch.Tensor:
    """d sum(critic(x)) / dx per example, flattened to (N, features), kept in the graph."""
    x = x.detach().requires_grad_(True)
    (gradients,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return gradients.flatten(1)


def r1_penalty(critic: Critic, real: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): E |grad_x D(x)|^2 on real data (models weight it by gamma / 2)."""
    return _input_gradients(critic, real).pow(2).sum(dim=1).mean()


def gradient_penalty(critic: Critic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): E (|grad D(x_mix)| - 1)^2 at uniform random interpolates
    x_mix = a x_real + (1 - a) x_fake, one ``a`` per example, from the global RNG."""
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    alpha = torch.rand(shape, device=real.device, dtype=real.dtype)
    mixed = alpha * real.detach() + (1 - alpha) * fake.detach()
    return (_input_gradients(critic, mixed).norm(2, dim=1) - 1).pow(2).mean()
