"""Likelihood metrics of models that define one (VAEs): negative ELBO and importance-sampled NLL.

Both run over every sample of the reference data (use a held-out part, e.g.
``--reference mnist:PATH@8000:``) in its own order, with torch's generator
seeded, and report nats per example. See :mod:`gensynth._evaluation.interfaces` for the
methods a model implements.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import torch

from gensynth import EvaluationContext, Evaluator, GensynthError, field, ordered_batches, seed_field


def mean_over_reference(ctx: EvaluationContext, batch_size: int, seed: int,
                        per_example: Callable[[torch.Tensor], torch.Tensor]) -> float:
    """The mean of ``per_example(x)`` (N,) over every reference sample, computed in float64."""
    total, count = 0.0, 0
    with ctx.seeded(seed), torch.no_grad():
        for batch in ordered_batches(ctx.reference.data, batch_size):
            x = batch["x"].to(ctx.model.device)
            values = per_example(x)
            if values.shape != (len(x),):
                raise GensynthError(f"{ctx.model_id} returned shape {tuple(values.shape)} for {len(x)} examples; "
                                    f"it must return one value per example (see gensynth._evaluation.interfaces)")
            total += float(values.double().sum())
            count += len(x)
    return total / count


@dataclasses.dataclass
class NegativeELBO(Evaluator):
    """``-E[ELBO(x)]`` over the reference data, from the model's ``elbo(x)``."""

    needs = frozenset({"reference"})
    methods = ("elbo",)

    batch_size: int = field(256, help="examples per call of elbo()", ge=1)
    seed: int = seed_field(0, help="seed of torch's generator while elbo() samples")

    def compute(self, ctx: EvaluationContext, num_samples: int) -> dict[str, float]:
        return {"neg_elbo": -mean_over_reference(ctx, self.batch_size, self.seed, ctx.model.elbo)}


@dataclasses.dataclass
class ImportanceNLL(Evaluator):
    """``-E[log p(x)]`` over the reference data, each estimated with ``k`` importance samples."""

    needs = frozenset({"reference"})
    methods = ("log_likelihood",)

    k: int = field(100, help="importance samples per example", ge=1, le=100_000)
    batch_size: int = field(64, help="examples per call of log_likelihood()", ge=1)
    seed: int = seed_field(0, help="seed of torch's generator while log_likelihood() samples")

    def compute(self, ctx: EvaluationContext, num_samples: int) -> dict[str, float]:
        log_p = mean_over_reference(ctx, self.batch_size, self.seed, lambda x: ctx.model.log_likelihood(x, self.k))
        return {"nll": -log_p}
