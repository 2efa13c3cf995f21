"""Translation accuracy of image-to-image models: does a translated digit still read as the same digit?

A classifier extractor is trained on the labelled target-domain data (the
reference); labelled source-domain images are translated, and the accuracy is
the fraction whose predicted class equals the source label.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from gensynth import EvaluationContext, Evaluator, Extractor, GensynthError, Reference, field, ordered_batches


@dataclasses.dataclass
class TranslationAccuracy(Evaluator):
    """Classifier accuracy on ``translate(source images, direction)`` against the source labels."""

    methods = ("translate",)

    source: str = field("", help="labelled source-domain data spec (e.g. digits or mnist:PATH@8000:)")
    direction: str = field("", help="'<from>2<to>' after the model's domains (e.g. a2b); empty = the model's first")
    batch_size: int = field(256, help="images per call of translate()", ge=1)

    def check(self, ctx: EvaluationContext) -> None:
        if not self.source:
            raise GensynthError("metric translation needs labelled source-domain images: "
                                "pass --param translation.source=SPEC")
        self._direction(ctx)

    def compute(self, ctx: EvaluationContext, num_samples: int) -> dict[str, float]:
        source, target, classifier = self._parts(ctx)
        if not source.data.has_labels:
            raise GensynthError(f"metric translation needs labels for the source images and {self.source} has none")
        direction, correct = self._direction(ctx), 0
        with torch.no_grad():
            for batch in ordered_batches(source.data, self.batch_size):
                translated = ctx.model.translate(batch["x"].to(ctx.model.device), direction)
                if tuple(translated.shape[1:]) != tuple(target.data.shape):
                    raise GensynthError(f"{ctx.model_id} translated to {tuple(translated.shape[1:])} but the target "
                                        f"data {target.spec} is {tuple(target.data.shape)}")
                logits = classifier.extract_batches([translated.float().cpu()]).logits
                correct += int((logits.argmax(dim=1) == batch["y"]).sum())
        return {"translation_accuracy": correct / len(source.data)}

    def protocol(self, ctx: EvaluationContext) -> dict[str, Any]:
        source, target, classifier = self._parts(ctx)
        return {"direction": self._direction(ctx), "source": source.protocol(), "reference": target.protocol(),
                "extractor": classifier.protocol()}

    def _direction(self, ctx: EvaluationContext) -> str:
        known = tuple(getattr(ctx.model, "directions", ()))
        direction = self.direction or (known[0] if known else "")
        if not direction or (known and direction not in known):
            raise GensynthError(f"metric translation: {ctx.model_id} translates {', '.join(known) or 'in no named direction'}; "
                                f"pass --param translation.direction=one of them")
        return direction

    def _parts(self, ctx: EvaluationContext) -> tuple[Reference, Reference, Extractor]:
        """Source data, target data (the reference, in the target domain) and the classifier trained on it."""
        origin, _, goal = self._direction(ctx).partition("2")
        source = ctx.domain_reference(self.source, origin or None, "params[translation.source]")
        target = ctx.domain_reference(ctx.reference.spec, goal or None, ctx.reference.option)
        classifier = ctx.extractor.for_reference(target)
        if not classifier.instance.has_logits:
            raise GensynthError(f"metric translation needs a classifier with logits; extractor "
                                f"{classifier.spec.id} gives none (use --extractor classifier)")
        return source, target, classifier
