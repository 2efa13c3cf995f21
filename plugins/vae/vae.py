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
from typing import Any, Mapping

import torch

from gensynth import Batch, GensynthError, Model, Phase, linear_decay_schedulers, side_by_side
from gensynth.plugins.vae.config import VAEConfig
from gensynth.plugins.vae.likelihoods import likelihood
from gensynth.plugins.vae.networks import Decoder, Encoder
from gensynth.plugins.vae.priors import LOG_2PI, GaussianMixture, StandardNormal

#: Pixel values decoded per decoder call while importance sampling (bounds its memory).
MAX_DECODED_VALUES = 1 << 22


def importance_bound(log_weights: torch.Tensor) -> torch.Tensor:
    """``log mean_i exp(w_i)`` of log-weights (N, k): the k-sample bound of each image (N,)."""
    return torch.logsumexp(log_weights, dim=1) - math.log(log_weights.shape[1])


class VAE(Model):
    """Convolutional VAE for 28, 32 or 64 px grey or RGB images."""

    config: VAEConfig

    def __init__(self, config: VAEConfig) -> None:
        super().__init__(config)
        c, conditions = config, self.condition_size()
        self.encoder = Encoder(c.channels, c.image_size, c.width, c.latent_dim, conditions, c.blocks)
        self.decoder = Decoder(c.channels, c.image_size, c.width, c.latent_dim, conditions, c.blocks)
        self.likelihood = likelihood(c)
        self.prior = GaussianMixture(c.latent_dim, c.prior_components) if c.prior == "mixture" else StandardNormal(c.latent_dim)
        if getattr(c, "free_bits", 0) and not self.prior.separable:
            raise GensynthError("free_bits counts the KL of each latent dimension, which the mixture prior does not "
                                "separate; pass --set free_bits=0 or --set prior=normal")
        self.steps_done = 0

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
        recon, kl_dims = self.elbo_terms_by_dim(x, condition)
        return recon, kl_dims.sum(1)

    def elbo_terms_by_dim(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(recon (N,), kl (N, D))``: :meth:`elbo_terms` with the KL of each latent dimension
        (one column, the single-sample estimate, for a prior whose KL has no closed form)."""
        mean, log_var = self.encode(x, condition)
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        return self.likelihood.nll(self.decode(z, condition), x), self.prior.kl_dims(mean, log_var, z)

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
            log_qz = -0.5 * (eps.square() + log_var + LOG_2PI).sum(-1)  # log N(z; mean, std) at z = mean + std * eps
            weights.append(log_px + self.prior.log_prob(z) - log_qz)
        return torch.cat(weights).t()

    # -- training -------------------------------------------------------------------

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        if c.weight_decay:
            return {"vae": torch.optim.AdamW(self.parameters(), lr=c.lr, weight_decay=c.weight_decay)}
        return {"vae": torch.optim.Adam(self.parameters(), lr=c.lr)}

    def configure_schedulers(self, optimizers, total_steps):
        return linear_decay_schedulers(optimizers, total_steps, self.config.decay_start)

    def training_phases(self) -> list[Phase]:
        return [Phase(self.objective_name(), "vae", self.loss)]

    def objective_name(self) -> str:
        """The name of the training phase, logged with the value it minimises: ``nelbo`` when training minimises the negative ELBO; ``objective`` with a KL weight other
        than 1 (warm-up, beta) or free bits."""
        c = self.config
        return "objective" if c.kl_warmup_steps or c.free_bits or self.full_kl_weight() != 1 else "nelbo"

    def full_kl_weight(self) -> float:
        """The KL weight after the warm-up (1: the ELBO)."""
        return 1.0

    def kl_weight(self) -> float:
        """The KL weight of the current iteration (iterations count from 1): rises linearly over the warm-up."""
        warmup = self.config.kl_warmup_steps
        progress = min(1.0, (self.steps_done + 1) / warmup) if warmup else 1.0
        return self.full_kl_weight() * progress

    def loss(self, batch: Batch, scratch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The negative ELBO, logged with its reconstruction and KL parts; with a KL weight other than 1
        (warm-up, beta) or free bits, the training objective ``recon + w * KL'`` beside them."""
        recon, kl_dims = self.elbo_terms_by_dim(batch["x"], self.condition(batch.get("y")))
        recon, kl_dims = recon.mean(), kl_dims.mean(0)
        kl = kl_dims.sum()
        logs = {"recon": recon.detach(), "kl": kl.detach()}
        if self.objective_name() == "nelbo":
            return recon + kl, logs
        free_bits = self.config.free_bits
        counted = kl_dims.clamp(min=free_bits).sum() if free_bits else kl
        weight = self.kl_weight()
        logs.update({"nelbo": (recon + kl).detach(), "schedule/kl_weight": torch.tensor(weight)})
        return recon + weight * counted, logs

    def end_iteration(self, step: int) -> None:
        self.steps_done = step

    def training_state(self) -> dict[str, Any]:
        return {"steps_done": self.steps_done}

    def load_training_state(self, state: Mapping[str, Any]) -> None:
        self.steps_done = int(state.get("steps_done", 0))

    # -- generation ("latent" and "reconstruct" capabilities) ---------------------

    def latents(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        return self.prior.sample(n, self.device, generator)

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
        return importance_bound(self.log_weights(x.to(self.device), k))
