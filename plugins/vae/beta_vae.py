"""beta-VAE (Higgins et al. 2017): the VAE with a weighted KL term, optionally warmed up.

The training objective is ``recon + w * kl`` where ``w`` rises linearly from 0
to ``beta`` over the first ``kl_warmup_steps`` iterations (Bowman et al. 2016)
and stays at ``beta`` after. The phase is logged as ``objective``; the negative
ELBO (``w = 1``) and its parts are logged beside it, with ``w`` under
``schedule/kl_weight``. The iteration count is part of the training state, so
a resumed run continues the warm-up exactly.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch

from gensynth import Batch
from gensynth.plugins.vae.config import BetaVAEConfig
from gensynth.plugins.vae.vae import VAE


class BetaVAE(VAE):
    config: BetaVAEConfig
    objective = "objective"

    def __init__(self, config: BetaVAEConfig) -> None:
        super().__init__(config)
        self.steps_done = 0

    def kl_weight(self) -> float:
        """The KL weight of the current iteration (iterations count from 1)."""
        warmup = self.config.kl_warmup_steps
        progress = min(1.0, (self.steps_done + 1) / warmup) if warmup else 1.0
        return self.config.beta * progress

    def loss(self, batch: Batch, scratch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        recon, kl = self.batch_terms(batch)
        weight = self.kl_weight()
        logs = {"nelbo": (recon + kl).detach(), "recon": recon.detach(), "kl": kl.detach(),
                "schedule/kl_weight": torch.tensor(weight)}
        return recon + weight * kl, logs

    def end_iteration(self, step: int) -> None:
        self.steps_done = step

    def training_state(self) -> dict[str, Any]:
        return {"steps_done": self.steps_done}

    def load_training_state(self, state: Mapping[str, Any]) -> None:
        self.steps_done = int(state["steps_done"])
