"""VQ-VAE (van den Oord, Vinyals & Kavukcuoglu 2017) with a learned autoregressive prior over its codes.

One model, trained in two stages that it declares as step ranges of its phases
(``Phase(start=, stop=)``, fractions of the run's ``--steps``), so the Trainer
drives it like any other model:

1. **autoencoder** (steps up to ``prior_start``): the encoder's map of vectors
   is quantised to its nearest codebook vectors (:mod:`gensynth.plugins.vae.quantizer`),
   the decoder reconstructs the image from them. Loss per pixel and latent
   element: the reconstruction ``-log p(x|z_q)`` (mean over pixels) +
   ``commitment * |z_e - sg(z_q)|^2`` (+ the codebook loss ``|sg(z_e) - z_q|^2``
   when the codebook is learned by gradient rather than EMA). Logged: ``vqvae``,
   ``recon`` (nats per image), ``commitment``, ``perplexity`` of the batch's codes
   and ``restarts`` (dead codes moved this step).
2. **prior** (the remaining steps): the encoder and codebook stay fixed; a
   causal transformer (:mod:`gensynth.plugins.vae.code_prior`) learns
   ``p(codes)`` of the training images' code maps in raster order. Logged:
   ``prior``, ``-log p(codes)`` in nats per image.

``sample`` draws a code map from the prior and decodes it. Before the prior has
trained (during stage 1, or from a run stopped there) it draws each code
independently with its usage frequency in training (the codebook counts), a
real but weak prior, so previews, evaluations and ``gensynth sample`` keep
working; training previews show reconstructions only until stage 2 starts.

Being a latent-variable model with a point-mass posterior, it has an ELBO too:
``log p(x|z_q(x)) + log p(z_q(x))`` in nats (the posterior's entropy is 0),
comparable with the Gaussian VAEs' under the same likelihood.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gensynth import Batch, GensynthError, Model, Phase, perplexity, side_by_side
from gensynth.plugins.vae.code_prior import CodePrior
from gensynth.plugins.vae.config import VQVAEConfig
from gensynth.plugins.vae.likelihoods import likelihood
from gensynth.plugins.vae.networks import CodeDecoder, CodeEncoder
from gensynth.plugins.vae.quantizer import VectorQuantizer

#: How ``sample(prior=...)`` may draw codes.
PRIORS = ("learned", "independent")


def stage_decay(first: float, last: float):
    """Learning-rate factor after ``step`` iterations for a stage over steps ``(first, last]``: 1 until its
    middle, then linearly down to 0 at ``last``."""
    middle = (first + last) / 2

    def factor(step: int) -> float:
        return 1.0 if step <= middle else max(0.0, (last - step) / (last - middle))

    return factor


class VQVAE(Model):
    """VQ-VAE for 28, 32 or 64 px grey or RGB images; codes on a map a quarter of the image's side."""

    config: VQVAEConfig

    def __init__(self, config: VQVAEConfig) -> None:
        super().__init__(config)
        c = config
        self.encoder = CodeEncoder(c.channels, c.width, c.code_dim, c.blocks)
        self.quantizer = VectorQuantizer(c.codebook_size, c.code_dim, c.ema_decay, c.restart_threshold)
        self.decoder = CodeDecoder(c.channels, c.width, c.code_dim, c.blocks)
        self.likelihood = likelihood(c)
        self.code_side = c.image_size // 4
        self.prior = CodePrior(c.codebook_size, self.code_side ** 2, c.prior_dim, c.prior_layers, c.prior_heads,
                               c.prior_dropout)
        #: Optimizer steps the prior has taken (0: sample with the independent prior).
        self.register_buffer("prior_steps", torch.zeros((), dtype=torch.long))

    @property
    def codebook_size(self) -> int:
        return self.config.codebook_size

    # -- the model ------------------------------------------------------------------

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        """The code map (N, S/4, S/4) of images ``x`` in [-1, 1]."""
        return self.quantizer.nearest(self.encoder(x.to(self.device)))

    def decode_codes(self, codes: torch.Tensor) -> torch.Tensor:
        """Likelihood parameters of the images of code maps ``codes`` (N, S/4, S/4)."""
        return self.decoder(self.quantizer.lookup(codes.to(self.device)))

    # -- training -------------------------------------------------------------------

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        autoencoder = [p for name, p in self.named_parameters() if not name.startswith("prior.")]
        return {"autoencoder": torch.optim.Adam(autoencoder, lr=self.config.lr),
                "prior": torch.optim.Adam(self.prior.parameters(), lr=self.config.prior_lr)}

    def configure_schedulers(self, optimizers, total_steps):
        """Each stage's learning rate: constant over the first half of the stage, then linear to zero at its end."""
        boundary = self.config.prior_start * total_steps
        stages = {"autoencoder": (0.0, boundary), "prior": (boundary, float(total_steps))}
        return {name: torch.optim.lr_scheduler.LambdaLR(optimizers[name], stage_decay(*stages[name]))
                for name in stages}

    def training_phases(self) -> list[Phase]:
        split = self.config.prior_start
        return [Phase("vqvae", "autoencoder", self.autoencoder_loss, stop=split),
                Phase("prior", "prior", self.prior_loss, start=split)]

    def autoencoder_loss(self, batch: Batch, scratch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        x = batch["x"]
        z = self.encoder(x)
        z_q, straight_through, indices = self.quantizer.quantize(z)
        recon = self.likelihood.nll(self.decoder(straight_through), x).mean()
        commitment = F.mse_loss(z, z_q.detach())
        loss = recon / x[0].numel() + self.config.commitment * commitment
        usage = self.quantizer.usage(indices)
        logs = {"recon": recon.detach(), "commitment": commitment.detach(),
                "perplexity": torch.tensor(perplexity(usage))}
        if self.config.ema_decay == 0:
            codebook = F.mse_loss(z_q, z.detach())
            loss = loss + codebook
            logs["codebook"] = codebook.detach()
        restarted = self.quantizer.update(z.detach(), indices, usage)
        logs["restarts"] = torch.tensor(float(len(restarted)))
        return loss, logs

    def prior_loss(self, batch: Batch, scratch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        with torch.no_grad():
            codes = self.codes(batch["x"]).flatten(1)
        self.prior_steps += 1
        return self.prior.nll(codes).mean(), {}

    # -- generation -------------------------------------------------------------------

    def independent_codes(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        """``n`` code maps whose codes are drawn independently with their usage frequencies in training."""
        frequencies = self.quantizer.code_counts.float().clamp(min=0)
        draws = torch.multinomial(frequencies, n * self.code_side ** 2, replacement=True, generator=generator)
        return draws.view(n, self.code_side, self.code_side)

    @torch.no_grad()
    def sample_codes(self, n: int, seed: int | None = None, prior: str | None = None) -> torch.Tensor:
        """``n`` code maps (n, S/4, S/4) from the learned prior (``prior="learned"``, the default once it has
        trained) or the independent one (``"independent"``, the default before)."""
        prior = prior or ("learned" if self.prior_steps > 0 else "independent")
        if prior not in PRIORS:
            raise GensynthError(f"prior must be one of {', '.join(PRIORS)}, got {prior!r}")
        generator = self.seeded_generator(seed)
        if prior == "independent":
            return self.independent_codes(n, generator)
        return self.prior.sample(n, generator).view(n, self.code_side, self.code_side)

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None, prior: str | None = None) -> torch.Tensor:
        """``n`` images: the expected images of code maps drawn from the prior (see :meth:`sample_codes`)."""
        return self.likelihood.mean(self.decode_codes(self.sample_codes(n, seed, prior))).float()

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """The expected image of each input's code map (deterministic)."""
        return self.likelihood.mean(self.decode_codes(self.codes(x))).float()

    def previews(self, batch: Batch, n: int, seed: int) -> dict[str, torch.Tensor]:
        """Each image of the fixed batch beside its reconstruction; fixed-seed samples once the prior trains."""
        x = batch["x"]
        pictures = {"reconstructions": side_by_side(x, self.reconstruct(x))}
        if self.prior_steps > 0:
            pictures["samples"] = self.sample(n, seed=seed)
        return pictures

    # -- likelihood (gensynth._evaluation.interfaces) ------------------------------------

    @torch.no_grad()
    def elbo(self, x: torch.Tensor) -> torch.Tensor:
        """``log p(x|z_q(x)) + log p(z_q(x))`` per image (N,) in nats, under the prior :meth:`sample` uses."""
        codes = self.codes(x)
        log_px = -self.likelihood.nll(self.decode_codes(codes), x.to(self.device))
        return log_px - self.code_nll(codes)

    def code_nll(self, codes: torch.Tensor) -> torch.Tensor:
        """``-log p(codes)`` (N,) under the learned prior once trained, else the independent one."""
        if self.prior_steps > 0:
            return self.prior.nll(codes.flatten(1))
        frequencies = self.quantizer.code_counts.float().clamp(min=1e-12)
        log_p = (frequencies / frequencies.sum()).log()
        return -log_p[codes.flatten(1)].sum(1)
