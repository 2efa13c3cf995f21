"""CyCADA's semantic-consistency loss (Hoffman et al. 2018) for a CycleGAN whose domains have class labels.

A classifier trained on a labelled domain gives each input image a class, and must
give the image's translation the same class: ``cross_entropy(f(G(x)), argmax f(x))``.
Cycle consistency alone lets a translation change what an image shows as long as the
way back restores it (a 3 becomes a 5 that the other generator turns back into a
3); this term forbids it. Who judges:

- ``judge="source"``, CyCADA's setting: direction ``s2t`` is judged by the classifier
  of its source domain ``s`` when ``s`` has labels, else by the other domain's (one
  labelled source domain, its classifier for both directions). The classifier of one
  domain thus reads images translated into the other's style, which it may read
  poorly (on MNIST and scikit-learn's digits, 18 % and 55 % of the other domain's real
  images), and the loss then pulls translations toward a wrong judge's classes.
- ``judge="both"``: one classifier trained on the two domains' training data together
  (a ``join:`` of their specs) judges every direction and reads either style. It uses
  the target domain's labels, which CyCADA's unsupervised setting does not have, and
  shares the target's training data with the classifier that scores translations
  afterwards (the ``translation`` metric's, trained on the target domain alone), so it
  is a different classifier but not independent evidence. On MNIST <-> digits it
  raised the translations' accuracy by 17-27 points over no semantic loss, where the
  source judges lowered it (benchmarks/RESULTS.md).
- ``judge="auto"``, the default: ``both`` when every domain has labels and its own
  spec (two different specs, neither holding brackets), else ``source``.

The class a translation must keep is, by default (``semantic_classes="label"``), the
input's own label where its domain has labels, and the judge's class of the input
(CyCADA's ``argmax f(x)``) elsewhere or with ``semantic_classes="judge"``. With the
labels, a judge that misreads an input (on held-out ``digits``, the joint judge errs
on about one image in ten) no longer pulls its translation toward the wrong class:
on MNIST <-> digits they raised the accuracy in both directions and both seeds.

With ``semantic_augment`` the judge reads each translation through DiffAugment's random,
differentiable transformations (``translation``: a shift of up to 1/8 of the side) rather
than as it is, so a generator cannot satisfy it with features that one exact view shows.

The classifiers are gensynth's domain classifiers (:func:`gensynth.domain_classifier`):
trained once on the domain's training data and cached, frozen, built on first use.
They are not part of the model: neither saved with its weights nor in the training
state, so checkpoints and exact resume are unchanged.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch
import torch.nn.functional as F

from gensynth import FeatureExtractor, GensynthError, domain_classifier
from gensynth.plugins.cyclegan.classes import check_shared_classes


def semantic_consistency(before: torch.Tensor, after: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the translations' logits ``after`` against the classes the inputs' logits ``before`` give."""
    return F.cross_entropy(after, before.argmax(dim=1))


class SemanticConsistency:
    """Which domain's classifier judges each direction, and the classifiers themselves (built on first use)."""

    def __init__(self, judges: Mapping[str, tuple[str, str]], channels: int, image_size: int,
                 steps: int | None = None, augment: torch.nn.Module | None = None) -> None:
        #: direction -> (domain whose classifier judges it, or "both"; the judge's training data spec)
        self.judges = dict(judges)
        self.channels, self.image_size = channels, image_size
        #: Adam steps of the judges' training (the ``classifier`` extractor's ``steps``; None: its default)
        self.steps = steps
        self._classifiers: dict[str, FeatureExtractor] = {}
        #: Transformation of the translations before the judge reads them (None: as they are)
        self.augment = augment

    @classmethod
    def from_data(cls, info: Mapping[str, Mapping[str, Any]], directions: tuple[str, ...], channels: int,
                  image_size: int, judge: str = "auto", steps: int | None = None,
                  augment: torch.nn.Module | None = None) -> SemanticConsistency:
        """Judges for ``directions`` from the facts of the training data (``Model.bind_data``'s ``info``):
        ``judge="source"``, each direction's source domain's classifier (the other's when it has no labels);
        ``"both"``, one classifier of all domains' training data for every direction; ``"auto"``, ``"both"``
        when the domains' data can be joined for it (:func:`_joint_judge_problem`), else ``"source"``. Each judge
        trains for ``steps`` Adam steps (None: the classifier extractor's default) and reads the translations
        through ``augment`` (None: as they are)."""
        labelled = [domain for domain, facts in info.items() if facts.get("num_classes")]
        if not labelled:
            raise GensynthError("lambda_semantic > 0 needs class labels in domain a or b (a classifier of a labelled "
                                "domain judges the translations); give labelled data, e.g. folder:PATH with a "
                                "sub-folder per class, or set lambda_semantic=0")
        check_shared_classes(info, "the semantic loss compares classes across the domains", "lambda_semantic")
        problem = _joint_judge_problem(info, labelled)
        if judge == "auto":
            judge = "source" if problem else "both"
        if judge == "both":
            if problem:
                raise GensynthError(f"semantic_judge=both trains one judge on every domain's training data, and "
                                    f"{problem}; use semantic_judge=source")
            joined = "join:" + "+".join(f"[{info[domain]['source']}]" for domain in info)
            return cls({direction: ("both", joined) for direction in directions}, channels, image_size, steps, augment)
        judges = {}
        for direction in directions:
            source = direction.partition("2")[0]
            domain = source if source in labelled else labelled[0]
            judges[direction] = (domain, str(info[domain]["source"]))
        return cls(judges, channels, image_size, steps, augment)

    def loss(self, direction: str, real: torch.Tensor, translated: torch.Tensor,
             labels: torch.Tensor | None = None) -> torch.Tensor:
        """The loss of ``translated`` = ``G(real)`` in ``direction`` (gradients reach ``translated`` only): against
        ``labels``, the inputs' own classes, when given, else against the classes the judge gives ``real``."""
        classifier = self.classifier(self.judges[direction][0], real.device)
        after = classifier.extract(translated if self.augment is None else self.augment(translated)).logits
        if labels is not None:
            return F.cross_entropy(after, labels)
        with torch.no_grad():
            before = classifier.extract(real).logits
        return semantic_consistency(before, after)

    def classifier(self, domain: str, device: torch.device) -> FeatureExtractor:
        if domain not in self._classifiers:
            spec = next(data for judge, data in self.judges.values() if judge == domain)
            options = {} if self.steps is None else {"steps": str(self.steps)}
            self._classifiers[domain] = domain_classifier(spec, channels=self.channels, image_size=self.image_size,
                                                          domain=None if domain == "both" else domain, device=device,
                                                          options=options)
        return self._classifiers[domain]


def _joint_judge_problem(info: Mapping[str, Mapping[str, Any]], labelled: list[str]) -> str:
    """Why the domains' training data cannot be joined for one judge ("" when they can)."""
    unlabelled = [domain for domain in info if domain not in labelled]
    if unlabelled:
        return f"domain {unlabelled[0]} has no labels"
    sources = [str(info[domain]["source"]) for domain in info]
    if len(set(sources)) < len(sources):
        return f"the domains come from one source ({sources[0]}), which a join cannot split into its domains"
    bracketed = next((source for source in sources if "[" in source or "]" in source), None)
    if bracketed:
        return f"the spec {bracketed} holds brackets, which join:[SPEC]+[SPEC] cannot enclose"
    return ""
