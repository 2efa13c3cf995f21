"""Priors p(z) over the Gaussian VAEs' codes, selected by the ``prior`` config field.

``normal``: the standard normal N(0, I) of Kingma & Welling, with the KL term in
closed form. ``mixture``: a learned mixture of ``prior_components`` diagonal
Gaussians (the mixture prior of Tomczak & Welling 2018, section 3.1 and table 2),
trained with the rest of the model; its KL term has no closed form and is
estimated from the posterior sample the reconstruction uses,
``log q(z|x) - log p(z)``. A learned prior follows the codes the encoder
actually uses (the aggregate posterior), so less of the KL is spent on a
mismatch with N(0, I), and samples come from where the codes are.
"""

from __future__ import annotations

import math

import torch
from torch import nn

LOG_2PI = math.log(2 * math.pi)


def gaussian_log_density(z: torch.Tensor, mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """``log N(z; mean, exp(log_var))`` summed over the last dimension."""
    return -0.5 * ((z - mean).square() * torch.exp(-log_var) + log_var + LOG_2PI).sum(-1)


def gaussian_kl_dims(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(log_var)) || N(0, 1)) of each dimension (N, D), in nats."""
    return 0.5 * (mean.square() + log_var.exp() - 1 - log_var)


class StandardNormal(nn.Module):
    """p(z) = N(0, I)."""

    separable = True  # the KL is a sum over dimensions, known in closed form

    def __init__(self, latent_dim: int) -> None:
        super().__init__()
        self.latent_dim = latent_dim

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        return -0.5 * (z.square() + LOG_2PI).sum(-1)

    def kl_dims(self, mean: torch.Tensor, log_var: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """KL(q(z|x) || p(z)) of each dimension (N, D), in closed form (``z`` is unused)."""
        return gaussian_kl_dims(mean, log_var)

    def sample(self, n: int, device: torch.device, generator: torch.Generator | None) -> torch.Tensor:
        return torch.randn(n, self.latent_dim, device=device, generator=generator)


class GaussianMixture(nn.Module):
    """p(z) = sum_k pi_k N(z; mu_k, diag(sigma_k^2)), every parameter learned."""

    separable = False

    def __init__(self, latent_dim: int, components: int) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.logits = nn.Parameter(torch.zeros(components))
        self.means = nn.Parameter(torch.randn(components, latent_dim) * 0.5)
        self.log_vars = nn.Parameter(torch.zeros(components, latent_dim))

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """``log p(z)`` of codes (..., D)."""
        per_component = gaussian_log_density(z.unsqueeze(-2), self.means, self.log_vars)
        return torch.logsumexp(per_component + torch.log_softmax(self.logits, 0), dim=-1)

    def kl_dims(self, mean: torch.Tensor, log_var: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """The single-sample estimate ``log q(z|x) - log p(z)`` (N, 1) at the posterior sample ``z``."""
        return (gaussian_log_density(z, mean, log_var) - self.log_prob(z)).unsqueeze(1)

    def sample(self, n: int, device: torch.device, generator: torch.Generator | None) -> torch.Tensor:
        probabilities = torch.softmax(self.logits.detach(), 0)
        component = torch.multinomial(probabilities, n, replacement=True, generator=generator)
        noise = torch.randn(n, self.latent_dim, device=device, generator=generator)
        return self.means[component].detach() + torch.exp(0.5 * self.log_vars[component].detach()) * noise
