"""Reconstruction metrics of models that reconstruct (autoencoders): pixel error and PSNR on held-out data,
and the codebook usage of models with discrete codes.

Both run over every image of the reference data (use a held-out part, e.g.
``--reference mnist:PATH@8000:``) in its own order, with torch's generator seeded.
"""

from __future__ import annotations

import dataclasses

import torch

from gensynth import EvaluationContext, Evaluator, GensynthError, field, ordered_batches, perplexity, seed_field

#: PSNR of a perfect reconstruction is infinite; per-image errors are floored here (PSNR at most 100 dB).
MIN_MSE = 1e-10


@dataclasses.dataclass
class Reconstruction(Evaluator):
    """Mean squared error and PSNR of ``reconstruct(x)`` against ``x``, pixels scaled to [0, 1].

    ``mse`` is the mean over images and pixels; ``psnr`` the mean over images of each
    image's ``10 log10(1 / mse_image)`` (dB, peak value 1), as image-restoration papers average it.
    """

    needs = frozenset({"reference"})
    methods = ("reconstruct",)

    batch_size: int = field(256, help="images per call of reconstruct()", ge=1)
    seed: int = seed_field(0, help="seed of torch's generator while reconstruct() runs (for models that sample)")

    def compute(self, ctx: EvaluationContext, num_samples: int) -> dict[str, float]:
        errors = []
        with ctx.seeded(self.seed), torch.no_grad():
            for batch in ordered_batches(ctx.reference.data, self.batch_size):
                x = batch["x"].to(ctx.model.device)
                out = ctx.model.reconstruct(x)
                if out.shape != x.shape:
                    raise GensynthError(f"{ctx.model_id} reconstructed shape {tuple(out.shape)} from "
                                        f"{tuple(x.shape)}; reconstruct(x) must return images of x's shape")
                errors.append((((out.double() - x.double()) / 2).square().flatten(1).mean(1)).cpu())
        per_image = torch.cat(errors)
        psnr = (-10 * per_image.clamp(min=MIN_MSE).log10()).mean()
        return {"mse": float(per_image.mean()), "psnr": float(psnr)}


@dataclasses.dataclass
class CodeUsage(Evaluator):
    """How a discrete autoencoder uses its codebook on the reference images: the perplexity ``exp(H)`` of the
    codes' frequencies (the number of equally used codes with the same entropy) and the number of codes used."""

    needs = frozenset({"reference"})
    methods = ("codes",)

    batch_size: int = field(256, help="images per call of codes()", ge=1)

    def check(self, ctx: EvaluationContext) -> None:
        if not isinstance(getattr(ctx.model, "codebook_size", None), int):
            raise GensynthError(f"metric code_usage needs a model with an int attribute codebook_size; "
                                f"{ctx.model_id} has none")

    def compute(self, ctx: EvaluationContext, num_samples: int) -> dict[str, float]:
        size = ctx.model.codebook_size
        counts = torch.zeros(size, dtype=torch.float64)
        with torch.no_grad():
            for batch in ordered_batches(ctx.reference.data, self.batch_size):
                codes = ctx.model.codes(batch["x"].to(ctx.model.device)).flatten().cpu()
                counts += torch.bincount(codes, minlength=size).double()
        return {"perplexity": perplexity(counts), "codes_used": int((counts > 0).sum())}
