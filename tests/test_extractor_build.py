"""One builder of feature extractors (``build_extractor``), for evaluations and for domain classifiers."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from gensynth import ExtractorSpec, FeatureExtractor, Features, GensynthError, domain_classifier
from gensynth._discovery.registry import get_registry
from gensynth._evaluation import domain_classifier as module
from gensynth._evaluation.context import build_extractor
from gensynth._evaluation.interfaces import ExtractorSetup
from gensynth.plugins.metrics import classifier


class Drawing(FeatureExtractor):
    """Builds a network from the global generator (as every freshly initialised layer does), gives no logits."""

    def __init__(self, setup):
        self.net = nn.Linear(setup.channels * setup.image_size ** 2, 4)

    def describe(self):
        return {}

    def extract(self, images):
        return Features(self.net(images.flatten(1)))


@dataclasses.dataclass
class _Spec(ExtractorSpec):
    factory: object = None

    def load(self):
        return self.factory


def _setup():
    return ExtractorSetup(1, 8, torch.device("cpu"), None, {}, "digits", get_registry())


def test_building_draws_nothing_from_the_global_generator_and_refuses_what_is_not_an_extractor():
    spec = _Spec(name="drawing", summary="", target="x:y", plugin="tests", factory=Drawing)
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    assert isinstance(build_extractor(spec, _setup()), Drawing)
    assert torch.equal(torch.rand(3), expected)
    with pytest.raises(GensynthError, match="extractor tests:drawing built a dict, not a FeatureExtractor; report"):
        build_extractor(dataclasses.replace(spec, factory=lambda setup: {}), _setup())


def test_domain_classifier_is_frozen_draws_nothing_and_needs_logits(tmp_path, monkeypatch):
    monkeypatch.setenv("GENSYNTH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(classifier, "parse_recipe", lambda options: classifier.ClassifierRecipe(steps=5, batch_size=8))
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    judge = domain_classifier("digits@:40", channels=1, image_size=8)
    assert torch.equal(torch.rand(3), expected)
    networks = [v for v in vars(judge).values() if isinstance(v, nn.Module)]
    assert networks and all(not net.training and not any(p.requires_grad for p in net.parameters())
                            for net in networks)
    assert judge.extract(torch.zeros(2, 1, 8, 8)).logits.shape[0] == 2

    spec = _Spec(name="drawing", summary="", target="x:y", plugin="tests", factory=Drawing)
    monkeypatch.setattr(module, "get_registry", lambda: type("R", (), {"resolve": lambda self, kind, name: spec})())
    with pytest.raises(GensynthError, match="extractor tests:drawing gives no class logits, so it cannot classify"):
        domain_classifier("digits", channels=1, image_size=8, extractor="drawing")
