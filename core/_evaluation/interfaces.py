"""The evaluation interface: metrics (:class:`Evaluator`) and feature extractors (:class:`FeatureExtractor`).

Plugins register both through hooks, like models::

    register(EvaluatorSpec(name="fid", summary=..., target="my_plugin.metrics:FID"))   # an Evaluator subclass
    register(ExtractorSpec(name="clip", summary=..., target="my_plugin.clip:build"))   # (ExtractorSetup) -> FeatureExtractor

An **evaluator** is a dataclass whose fields are its parameters, with defaults
(``gensynth evaluate --param fid.FIELD=VALUE`` sets one); every result records
them in its protocol. It says what it needs in ``needs`` and ``methods``, and
computes named values from an :class:`~gensynth._evaluation.context.EvaluationContext`,
which loads, generates, extracts and caches on first use.

A **feature extractor** maps images to features (and optionally class logits);
its ``describe()`` identifies it (weights hash, input convention) in every protocol.

Model capabilities that metrics look for. A model plugin implements the methods;
nothing is registered. Images are ``(N, C, H, W)`` in [-1, 1] as the model's data:

``elbo(x) -> Tensor (N,)``
    the evidence lower bound of each example, in nats (used by ``elbo``).
``log_likelihood(x, k) -> Tensor (N,)``
    an importance-sampled estimate of ``log p(x)`` with ``k`` samples per example,
    ``logmeanexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)]``, in nats (used by ``nll``).
``reconstruct(x) -> Tensor`` (the ``"reconstruct"`` capability)
    the model's reconstruction of ``x``, of ``x``'s shape (used by ``reconstruction``: MSE and PSNR).
``codes(x) -> LongTensor (N, ...)`` and an int attribute ``codebook_size``
    the discrete code of each example, values in ``0 .. codebook_size - 1`` (used by
    ``code_usage``: perplexity and codes used).
``translate(x, direction) -> Tensor``
    ``x`` translated into the other domain; ``direction`` is one of the model's
    ``directions`` attribute (a tuple of names such as ``("a2b", "b2a")``) (used by ``translation``).

These draw random numbers from torch's global generator; the evaluation seeds it
and restores it afterwards, so results are reproducible and training is unaffected.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

import torch

from gensynth._metadata.config import ModelConfig

if TYPE_CHECKING:
    from gensynth._evaluation.context import EvaluationContext
    from gensynth._discovery.registry import Registry

#: What an evaluator may need (``Evaluator.needs``):
NEEDS = {
    "images": "generated images",
    "points": "generated points",
    "features": "extractor features of generated and reference images",
    "logits": "extractor class logits of generated images",
    "reference": "the reference data",
}


@dataclasses.dataclass
class Evaluator(ModelConfig):
    """Base of every metric: a dataclass of parameters (declared with :func:`gensynth.field`) plus :meth:`compute`.

    Parameters are typed and checked like a model's config fields.
    """

    #: Subset of :data:`NEEDS`.
    needs: ClassVar[frozenset[str]] = frozenset()
    #: Model methods the metric calls (see the module docstring); a model without them is refused.
    methods: ClassVar[tuple[str, ...]] = ()
    #: Generated samples used when ``--num-samples`` is not given (0: the metric generates none).
    default_samples: ClassVar[int] = 0

    def parameters(self) -> dict[str, Any]:
        """The metric's parameters, as recorded in the protocol."""
        return self.to_dict()

    def check(self, ctx: EvaluationContext) -> None:
        """Raise a GensynthError when the metric cannot apply (called before any heavy work)."""

    def compute(self, ctx: EvaluationContext, num_samples: int) -> dict[str, float]:
        """Named values (``{"fid": 12.3}``) from ``num_samples`` generated samples and/or the reference."""
        raise NotImplementedError

    def protocol(self, ctx: EvaluationContext) -> dict[str, Any]:
        """Protocol facts beyond the parameters, extractor, reference and samples (default: none)."""
        return {}


@dataclasses.dataclass
class Features:
    """What an extractor gives for a batch: ``features`` (N, D) and, when it has them, class ``logits`` (N, K)."""

    features: torch.Tensor
    logits: torch.Tensor | None = None


@dataclasses.dataclass(frozen=True)
class ExtractorSetup:
    """What an extractor factory is given.

    ``channels`` and ``image_size`` describe the images it will receive; ``weights`` is
    ``--extractor-weights`` (None when not given); ``options`` are the raw
    ``--extractor-option KEY=VALUE`` pairs (an extractor refuses ones it does not know);
    ``train_data`` is the data spec an extractor that learns from data trains on
    (the reference unless ``--classifier-data``), and ``domain`` the data domain of it
    to load when the spec's source holds several (``unpaired:PATH``; see :class:`~gensynth.DataRequest`).
    """

    channels: int
    image_size: int
    device: torch.device
    weights: Path | None
    options: Mapping[str, str]
    train_data: str
    registry: Registry
    domain: str | None = None


class FeatureExtractor:
    """Images (N, C, H, W) in [-1, 1] to :class:`Features`; subclasses implement both methods."""

    #: Whether :meth:`extract` returns class logits (needed by the Inception Score).
    has_logits: ClassVar[bool] = False
    #: Images per :meth:`extract` call.
    batch_size: ClassVar[int] = 256

    def describe(self) -> dict[str, Any]:
        """Everything that determines the features (weights hash, input convention, ...), JSON-serialisable.

        Include ``"reference_weights": True`` only when these are the published weights that papers'
        numbers were measured with (the ``inception`` extractor does for pytorch-fid's file): tables
        then say that values compare with published numbers at the same sample count and reference.
        """
        raise NotImplementedError

    def extract(self, images: torch.Tensor) -> Features:
        raise NotImplementedError
