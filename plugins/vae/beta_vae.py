"""beta-VAE (Higgins et al. 2017): the VAE with a weighted KL term, optionally warmed up.

The training objective is ``recon + w * kl`` where ``w`` rises linearly from 0
to ``beta`` over the first ``kl_warmup_steps`` iterations (Bowman et al. 2016)
and stays at ``beta`` after (the warm-up and free bits are the VAE's, see
:meth:`gensynth.plugins.vae.vae.VAE.loss`). The phase is logged as
``objective``; the negative ELBO (``w = 1``) and its parts are logged beside it,
with ``w`` under ``schedule/kl_weight``. The iteration count is part of the
training state, so a resumed run continues the warm-up exactly.
"""

from __future__ import annotations

from gensynth.plugins.vae.config import BetaVAEConfig
from gensynth.plugins.vae.vae import VAE


class BetaVAE(VAE):
    config: BetaVAEConfig

    def objective_name(self) -> str:
        return "objective"

    def full_kl_weight(self) -> float:
        return self.config.beta
