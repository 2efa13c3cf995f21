"""A domain classifier for a model to use while it trains (CycleGAN's semantic-consistency loss).

It is the feature extractor that evaluations use (by default the built-in
``classifier``: a small CNN trained once per data content, image format and
recipe, and cached in the user cache folder), built for labelled training data and
frozen, so that a loss can send gradients through its logits into the images
without training it. It is not a submodule of the model: it is neither saved with
the weights nor part of the training state, and building it draws no number from
the global random generators, so resume stays exact.
"""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from gensynth._discovery.registry import get_registry
from gensynth._errors import GensynthError
from gensynth._evaluation.context import build_extractor
from gensynth._evaluation.interfaces import ExtractorSetup, FeatureExtractor


def domain_classifier(data: str, *, channels: int, image_size: int, domain: str | None = None,
                      device: torch.device | str = "cpu", extractor: str = "classifier",
                      options: Mapping[str, str] | None = None) -> FeatureExtractor:
    """The extractor ``extractor`` trained on the labelled data spec ``data`` (its ``domain``, for a source
    that holds several) for images of ``channels`` x ``image_size`` px, on ``device``, frozen.

    ``extract(images).logits`` gives class logits; its networks (the extractor's ``nn.Module``
    attributes) are in eval mode and need no gradients. ``options`` are the extractor's
    (``--extractor-option`` in evaluations). The same arguments give the network an evaluation
    of the same data uses.
    """
    registry = get_registry()
    spec = registry.resolve("extractors", extractor)
    setup = ExtractorSetup(channels, image_size, torch.device(device), None, dict(options or {}), data, registry, domain)
    built = build_extractor(spec, setup)  # as an evaluation builds it, drawing nothing from the training's generators
    if not built.has_logits:
        raise GensynthError(f"extractor {spec.id} gives no class logits, so it cannot classify domains; "
                            f"use extractor='classifier'")
    for value in vars(built).values():
        if isinstance(value, nn.Module):
            value.eval().requires_grad_(False)
    return built
