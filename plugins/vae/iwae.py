"""The importance-weighted autoencoder (Burda, Grosse & Salakhutdinov 2016).

The VAE's networks trained on a tighter bound: with ``k`` posterior samples
z_1..z_k ~ q(z|x) per image, the k-sample bound

    L_k(x) = log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x)

is at least the ELBO (``L_1``), rises with k, and tends to log p(x); its
gradient weighs each sample by its normalised importance weight, so the
encoder is no longer pushed to cover the posterior with a single sample. The
phase is logged as ``iwae`` (the negative bound, nats per image), with the
single-sample negative ELBO of the same samples beside it as ``nelbo``.
Evaluation is the VAE's: ``elbo(x)`` and ``log_likelihood(x, k)``.
"""

from __future__ import annotations

import torch

from gensynth import Batch
from gensynth.plugins.vae.config import IWAEConfig
from gensynth.plugins.vae.vae import VAE, importance_bound


class IWAE(VAE):
    config: IWAEConfig

    def objective_name(self) -> str:
        return "iwae"

    def loss(self, batch: Batch, scratch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The negative k-sample bound, and the negative ELBO of the same samples (their mean log-weight)."""
        weights = self.log_weights(batch["x"], self.config.k, self.condition(batch.get("y")))
        return -importance_bound(weights).mean(), {"nelbo": -weights.mean().detach()}
