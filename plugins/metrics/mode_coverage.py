"""Mode coverage of point models on the Gaussian mixtures ring8 and grid25."""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from gensynth import EvaluationContext, Evaluator, GensynthError, field
from gensynth.plugins.metrics.coverage import mode_coverage


@dataclasses.dataclass
class ModeCoverage(Evaluator):
    """VEEGAN/PacGAN protocol: 2,500 generated points against the reference mixture's modes."""

    needs = frozenset({"points", "reference"})
    default_samples = 2500

    threshold: float = field(3.0, help="a point is high quality within this many standard deviations of its nearest mode",
                             gt=0)

    def check(self, ctx: EvaluationContext) -> None:
        self._mixture(ctx)

    def compute(self, ctx: EvaluationContext, num_samples: int) -> dict[str, float]:
        mixture = self._mixture(ctx)
        modes = torch.tensor(mixture["modes"], dtype=torch.float64)
        return mode_coverage(ctx.generated(num_samples), modes, float(mixture["std"]), self.threshold)

    def protocol(self, ctx: EvaluationContext) -> dict[str, Any]:
        mixture = self._mixture(ctx)
        return {"mixture": {"modes": len(mixture["modes"]), "std": mixture["std"]}}

    @staticmethod
    def _mixture(ctx: EvaluationContext) -> dict[str, Any]:
        mixture = ctx.reference.data.info().get("mixture")
        if not mixture:
            raise GensynthError(f"metric mode_coverage needs a Gaussian-mixture reference such as ring8 or grid25; "
                                f"{ctx.reference.given} has no mixture modes")
        return mixture
