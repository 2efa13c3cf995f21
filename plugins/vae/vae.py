"""The variational autoencoder (Kingma & Welling 2014) with a convolutional encoder and decoder.

The posterior q(z|x) is a diagonal Gaussian sampled with the reparameterisation
trick, the prior p(z) a standard normal, and the decoder likelihood Bernoulli or
Gaussian (:mod:`gensynth.plugins.vae.likelihoods`). Training minimises the
negative ELBO in nats per image, ``recon + kl`` with ``recon = -log p(x|z)``
(one posterior sample) and the KL divergence in closed form; the logs show
both parts. Generated and reconstructed images are the decoder's expected
image (Bernoulli probabilities or Gaussian means), not noisy draws from p(x|z).

Besides training it offers what commands and metrics ask of the ``"latent"``
and ``"reconstruct"`` capabilities (:mod:`gensynth._metadata.capabilities`) and the
likelihood methods of :mod:`gensynth._evaluation.interfaces`: ``elbo(x)`` and the
importance-sampled ``log_likelihood(x, k)``.
"""

from __future__ import annotations

import math

import torch

from gensynth import Batch, Model, Phase, side_by_side
from gensynth.plugins.vae.config import VAEConfig
from gensynth.plugins.vae.likelihoods import likelihood
from gensynth.plugins.vae.networks import Decoder, Encoder

#: Pixel values decoded per decoder call while importance sampling (bounds its memory).
MAX_DECODED_VALUES = 1 << 22


def gaussian_kl(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(log_var)) || N(0, I)) per row (N,), in nats."""
    return 0.5 * (mean.square() + log_var.exp() - 1 - log_var).sum(1)


class VAE(Model):
    """Convolutional VAE for 28, 32 or 64 px grey or RGB images."""

    config: VAEConfig
    #: Name of the training phase, logged with the value it minimises.
    objective = "nelbo"

    def __init__(self, config: VAEConfig) -> None:
        super().__init__(config)
        c, conditions = config, self.condition_size()
        self.encoder = Encoder(c.channels, c.image_size, c.width, c.latent_dim, conditions)
        self.decoder = Decoder(c.channels, c.image_size, c.width, c.latent_dim, conditions)
        self.likelihood = likelihood(c)

    # -- conditioning (none here; the conditional VAE overrides both) --------------

    def condition_size(self) -> int:
        """Length of the condition vector the networks take."""
        return 0

    def condition(self, labels: torch.Tensor | None) -> torch.Tensor | None:
        """The condition vector of a batch with class ``labels`` (ignored: this model is unconditional)."""
        return None

    # -- the model ------------------------------------------------------------------

    def encode(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior mean and log-variance (N, D) of images ``x`` in [-1, 1]."""
        return self.encoder(x, condition)

    def decode(self, z: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Likelihood parameters (logits or means) of the images of codes ``z``."""
        return self.decoder(z, condition)

    def elbo_terms(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(recon, kl)`` per image (N,) in nats, from one reparameterised posterior sample
        (noise from torch's global generator): the negative ELBO is their sum."""
        mean, log_var = self.encode(x, condition)
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        return self.likelihood.nll(self.decode(z, condition), x), gaussian_kl(mean, log_var)

    def log_weights(self, x: torch.Tensor, k: int, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Importance log-weights ``log p(x|z) + log p(z) - log q(z|x)`` of ``k`` posterior samples
        per image, shaped (N, k), in nats."""
        mean, log_var = self.encode(x, condition)
        std = torch.exp(0.5 * log_var)
        n = len(x)
        chunk = max(1, MAX_DECODED_VALUES // x.numel())
        weights = []
        for start in range(0, k, chunk):
            m = min(chunk, k - start)
            eps = torch.randn(m, *mean.shape, device=mean.device, dtype=mean.dtype)
            z = mean + std * eps
            repeated = None if condition is None else condition.repeat(m, 1)
            params = self.decode(z.flatten(0, 1), repeated)
            log_px = -self.likelihood.nll(params, x.repeat(m, 1, 1, 1)).view(m, n)
            # log N(z; 0, I) - log N(z; mean, std): the 2*pi terms cancel
            log_pz_over_qz = (0.5 * (eps.square() - z.square() + log_var)).sum(-1)
            weights.append(log_px + log_pz_over_qz)
        return torch.cat(weights).t()

    # -- training -------------------------------------------------------------------

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"vae": torch.optim.Adam(self.parameters(), lr=self.config.lr)}

    def training_phases(self) -> list[Phase]:
        return [Phase(self.objective, "vae", self.loss)]

    def batch_terms(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Batch means of the reconstruction and KL terms (nats per image)."""
        recon, kl = self.elbo_terms(batch["x"], self.condition(batch.get("y")))
        return recon.mean(), kl.mean()

    def loss(self, batch: Batch, scratch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The negative ELBO, logged with its reconstruction and KL parts."""
        recon, kl = self.batch_terms(batch)
        return recon + kl, {"recon": recon.detach(), "kl": kl.detach()}

    # -- generation ("latent" and "reconstruct" capabilities) ---------------------

    def latents(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        return torch.randn(n, self.config.latent_dim, device=self.device, generator=generator)

    @torch.no_grad()
    def sample_latents(self, n: int, seed: int | None = None) -> torch.Tensor:
        """``n`` codes (n, D) from the prior; the same seed gives the same codes, the global RNG is left alone."""
        return self.latents(n, self.seeded_generator(seed))

    @torch.no_grad()
    def decode_latents(self, z: torch.Tensor) -> torch.Tensor:
        """The expected images (N, C, H, W) in [-1, 1] of codes ``z``."""
        return self.likelihood.mean(self.decode(z.to(self.device))).float()

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        """``n`` images: the expected images of ``n`` codes drawn from the prior."""
        return self.decode_latents(self.sample_latents(n, seed))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """The expected image of each input's posterior mean code (deterministic)."""
        mean, _ = self.encode(x.to(self.device))
        return self.likelihood.mean(self.decode(mean)).float()

    def previews(self, batch: Batch, n: int, seed: int) -> dict[str, torch.Tensor]:
        """Fixed-seed samples, and each image of the fixed batch beside its reconstruction."""
        x = batch["x"]
        return {"samples": self.sample(n, seed=seed), "reconstructions": side_by_side(x, self.reconstruct(x))}

    # -- likelihoods (gensynth._evaluation.interfaces) -------------------------------------------

    @torch.no_grad()
    def elbo(self, x: torch.Tensor) -> torch.Tensor:
        """The ELBO of each image (N,) in nats, from one posterior sample."""
        recon, kl = self.elbo_terms(x.to(self.device))
        return -(recon + kl)

    @torch.no_grad()
    def log_likelihood(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """Importance-sampled log p(x) per image (N,) in nats, from ``k`` posterior samples (Burda et al. 2016)."""
        return torch.logsumexp(self.log_weights(x.to(self.device), k), dim=1) - math.log(k)
