"""Shared by tests/test_distributed.py and the jobs it runs under torchrun (distributed_jobs.py)."""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

import torch

from gensynth.plugins.gan.base import GAN
from gensynth.plugins.vae.vae import VAE


def _global_draw(counter: list[int], shape: tuple[int, ...], device: torch.device) -> torch.Tensor:
    """This process's share of a standard normal draw for the whole global batch: ``shape[0]`` rows per
    process, the same numbers whatever the number of processes (the k-th draw of a run is seeded with k)."""
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    generator = torch.Generator().manual_seed(counter[0])
    counter[0] += 1
    full = torch.randn((shape[0] * world, *shape[1:]), generator=generator)
    return full[rank * shape[0]:(rank + 1) * shape[0]].to(device)


@contextlib.contextmanager
def split_noise() -> Iterator[None]:
    """The GANs' training noise and the VAE's posterior noise drawn as a function of the global example,
    so that 2 processes at half the batch see exactly the noise of 1 process at the full batch: the split
    of the batch is then the only difference between the two."""
    counter = [0]
    noise, elbo_terms = GAN.noise, VAE.elbo_terms_by_dim

    def split_gan_noise(self, n, generator=None):
        if generator is not None:  # sampling with a seed: untouched
            return noise(self, n, generator)
        return _global_draw(counter, (n, self.config.latent_dim), self.device)

    def split_elbo_terms(self, x, condition=None):
        mean, log_var = self.encode(x, condition)
        z = mean + torch.exp(0.5 * log_var) * _global_draw(counter, tuple(mean.shape), mean.device)
        return self.likelihood.nll(self.decode(z, condition), x), self.prior.kl_dims(mean, log_var, z)

    GAN.noise, VAE.elbo_terms_by_dim = split_gan_noise, split_elbo_terms
    try:
        yield
    finally:
        GAN.noise, VAE.elbo_terms_by_dim = noise, elbo_terms
