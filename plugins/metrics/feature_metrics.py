"""FID, KID, Inception Score and precision/recall: thin evaluators over :mod:`gensynth.evaluation`."""

from __future__ import annotations

import dataclasses

from gensynth import EvaluationContext, Evaluator, field, gaussian_stats, seed_field
from gensynth.plugins.metrics.frechet import frechet_distance
from gensynth.plugins.metrics.inception_score import inception_score
from gensynth.plugins.metrics.kid import kernel_inception_distance
from gensynth.plugins.metrics.precision_recall import precision_recall

DEFAULT_SAMPLES = 10_000


@dataclasses.dataclass
class FID(Evaluator):
    """Fréchet distance between the Gaussian fits of generated and reference features."""

    needs = frozenset({"features"})
    default_samples = DEFAULT_SAMPLES

    def compute(self, ctx: EvaluationContext, num_samples: int) -> dict[str, float]:
        mean, cov = gaussian_stats(ctx.generated_features(num_samples).features.to(ctx.math_device))
        reference = [t.to(ctx.math_device) for t in ctx.reference.gaussian(ctx.extractor)]
        return {"fid": frechet_distance(mean, cov, *reference, names=("generated", "reference"))}


@dataclasses.dataclass
class KID(Evaluator):
    """Mean and standard deviation of the unbiased polynomial-kernel MMD² over random subsets."""

    needs = frozenset({"features"})
    default_samples = DEFAULT_SAMPLES

    subsets: int = field(100, help="number of random subsets", ge=1)
    subset_size: int = field(1000, help="samples drawn from each side per subset (without replacement)", ge=2)
    degree: int = field(3, help="degree d of the kernel (gamma x.y + coef0)^d", ge=1)
    gamma: float | None = field(None, help="kernel scale; none = 1 / feature dimension", gt=0)
    coef0: float = field(1.0, help="kernel offset (a kernel needs coef0 >= 0)", ge=0)
    seed: int = seed_field(2020, help="seed of numpy's RandomState drawing the subsets (torch-fidelity's default)")

    def compute(self, ctx: EvaluationContext, num_samples: int) -> dict[str, float]:
        mean, std = kernel_inception_distance(
            ctx.generated_features(num_samples).features.to(ctx.math_device),
            ctx.reference.features(ctx.extractor).features.to(ctx.math_device),
            self.subsets, self.subset_size, self.degree, self.gamma, self.coef0, self.seed)
        return {"kid": mean, "kid_std": std}


@dataclasses.dataclass
class InceptionScore(Evaluator):
    """``exp(E KL(p(y|x) || p(y)))`` of the extractor's class logits, mean and std over splits."""

    needs = frozenset({"logits"})
    default_samples = DEFAULT_SAMPLES

    splits: int = field(10, help="number of parts the samples are cut into", ge=1)
    shuffle: bool = field(True, help="shuffle the samples before cutting them")
    seed: int = seed_field(2020, help="seed of the shuffle (torch-fidelity's default)")

    def compute(self, ctx: EvaluationContext, num_samples: int) -> dict[str, float]:
        logits = ctx.generated_features(num_samples).logits
        mean, std = inception_score(logits, self.splits, self.shuffle, self.seed)
        return {"is": mean, "is_std": std}


@dataclasses.dataclass
class PrecisionRecall(Evaluator):
    """Improved precision (generated inside the real manifold) and recall (real inside the generated one)."""

    needs = frozenset({"features"})
    default_samples = DEFAULT_SAMPLES

    k: int = field(3, help="neighbourhood size: the k-th nearest neighbour sets each ball's radius", ge=1)

    def compute(self, ctx: EvaluationContext, num_samples: int) -> dict[str, float]:
        precision, recall = precision_recall(ctx.reference.features(ctx.extractor).features.to(ctx.math_device),
                                             ctx.generated_features(num_samples).features.to(ctx.math_device), self.k)
        return {"precision": precision, "recall": recall}
