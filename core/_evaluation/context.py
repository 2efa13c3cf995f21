"""What metrics draw their inputs from: reference data, a feature extractor and generated samples.

Everything is computed on first use and shared by the metrics of one
evaluation: the generated samples (in fixed-seed chunks, so the first ``n`` are
the same whatever the total), their features, the reference data and its
features (also cached on disk, see :mod:`gensynth._evaluation.cache`).

Images reach the extractor rounded to 8-bit levels, on both sides, as if they
had been saved as PNG files: a metric computed from saved samples and one
computed in memory agree.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import torch

from gensynth._data.dataset import StreamingImages, TensorData
from gensynth._data.domains import Requested
from gensynth._data.loader import ordered_batches
from gensynth._metadata.request import DataRequest
from gensynth._metadata.seeds import derived_seed
from gensynth._data.spec import load_data
from gensynth._data.split import split_spec
from gensynth._errors import GensynthError
from gensynth._evaluation.cache import CachedTensors, data_sha256, digest
from gensynth._evaluation.statistics import gaussian_stats
from gensynth._evaluation.interfaces import ExtractorSetup, FeatureExtractor, Features
from gensynth._models.images import to_uint8
from gensynth._models.model import Model
from gensynth._naming import option
from gensynth._discovery.registry import Registry
from gensynth._metadata.specs import ExtractorSpec, ModelSpec

SAMPLE_CHUNK = 500
"""Samples drawn per ``model.sample`` call; chunk ``i`` uses seed ``derived_seed(seed, i)``."""
CACHE_FORMAT = 1


def quantize(images: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] rounded to the 256 levels a PNG file stores, still in [-1, 1]."""
    return to_uint8(images).float() / 127.5 - 1


class Reference:
    """The data ``spec`` (``NAME[:ARG][@START:END]``) loaded as ``request`` asks, and its features.

    ``option`` names the setting the spec came from (its Python argument name, such as ``reference``,
    ``eval_reference`` or ``params[translation.source]``), for error messages (see :func:`given`).
    A model that learns between domains requests one data set per domain; its
    reference data is then a domain's, chosen by the metric (:meth:`EvaluationContext.domain_reference`).
    """

    def __init__(self, spec: str, request: Requested, registry: Registry, option: str = "reference") -> None:
        self.spec, self.request, self.registry, self.option = spec, request, registry, option
        self._cached: dict[str, dict[str, torch.Tensor]] = {}
        self._siblings: dict[tuple[str, str], Reference] = {self.key: self}

    @property
    def key(self) -> tuple[str, str]:
        """What identifies this data within an evaluation: the spec and the request."""
        return self.spec, repr(self.request)

    def sibling(self, spec: str, request: DataRequest, option: str) -> Reference:
        """Other data used by the same evaluation (a translation's source and target), made once and kept."""
        key = (spec, repr(request))
        if key not in self._siblings:
            self._siblings[key] = Reference(spec, request, self.registry, option)
        return self._siblings[key]

    @functools.cached_property
    def data(self) -> TensorData | StreamingImages:
        if not isinstance(self.request, DataRequest):
            raise GensynthError(f"this model learns between the data domains {', '.join(self.request)}: only metrics "
                                f"made for such models (translation) apply to it")
        return load_data(self.spec, self.request, self.registry, name=self.option)

    @property
    def given(self) -> str:
        """The setting and spec as the user gave them: ``--reference digits`` or ``reference='digits'``."""
        return option(self.option, self.spec)

    @functools.cached_property
    def sha256(self) -> str:
        return data_sha256(self.data)

    def protocol(self) -> dict[str, Any]:
        split = split_spec(self.spec)[1]
        return {"spec": self.spec, "split": split.text if split else "", "num_samples": len(self.data),
                "sha256": self.sha256}

    def features(self, extractor: Extractor) -> Features:
        """Features (and logits) of every reference image."""
        tensors = self._statistics(extractor)
        return Features(tensors["features"], tensors.get("logits"))

    def gaussian(self, extractor: Extractor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and covariance (float64) of the reference features."""
        tensors = self._statistics(extractor)
        return tensors["mean"], tensors["cov"]

    def _statistics(self, extractor: Extractor) -> dict[str, torch.Tensor]:
        """Features, logits, mean and covariance, from the disk cache when this data and extractor were seen before."""
        if self.data.kind != "image":
            raise GensynthError(f"{self.given} holds points; feature metrics need images")
        key = {"data": self.sha256, "extractor": extractor.protocol(), "format": CACHE_FORMAT}
        memo = digest(key)
        if memo not in self._cached:
            entry = CachedTensors("reference-features", key)
            found = entry.load()
            if found is None:
                features = extractor.extract_batches(batch["x"] for batch in ordered_batches(self.data, 1024))
                mean, cov = gaussian_stats(features.features)
                tensors = {"features": features.features, "mean": mean, "cov": cov}
                if features.logits is not None:
                    tensors["logits"] = features.logits
                entry.save(tensors, {"reference": self.protocol()})
            else:
                tensors = found[0]
            self._cached[memo] = tensors
        return self._cached[memo]


def forked_rng(device: torch.device) -> contextlib.AbstractContextManager:
    """A block after which torch's global generators (the CPU's and ``device``'s) are as before it."""
    return torch.random.fork_rng(devices=[device.index or 0] if device.type == "cuda" else [])


def build_extractor(spec: ExtractorSpec, setup: ExtractorSetup) -> FeatureExtractor:
    """The extractor ``spec`` built for ``setup``, drawing no number from torch's global generators
    (building a network draws its initial weights: never from a training's or an evaluation's streams).
    A factory that gives anything but a :class:`FeatureExtractor` is an error for the plugin's author."""
    with forked_rng(setup.device):
        built = spec.load()(setup)
    if not isinstance(built, FeatureExtractor):
        raise GensynthError(f"extractor {spec.id} built a {type(built).__name__}, not a FeatureExtractor; "
                            f"report this to the author of plugin {spec.plugin!r}")
    return built


class Extractor:
    """The feature extractor ``name``, built on first use for images shaped like the reference's."""

    def __init__(self, name: str, reference: Reference, registry: Registry, device: torch.device,
                 weights: str | Path | None = None, options: Mapping[str, str] = (),
                 train_data: str | None = None) -> None:
        self.name, self.reference, self.registry, self.device = name, reference, registry, device
        self.weights = Path(weights).expanduser() if weights else None
        self.options = dict(options)
        self.train_data = train_data or reference.spec
        self._for: dict[tuple[str, str], Extractor] = {reference.key: self}

    @functools.cached_property
    def spec(self) -> ExtractorSpec:
        return self.registry.resolve("extractors", self.name)

    @functools.cached_property
    def instance(self) -> FeatureExtractor:
        channels, size, _ = self.reference.data.shape
        domain = getattr(self.reference.request, "domain", None)  # the domain of a source that holds several
        setup = ExtractorSetup(channels, size, self.device, self.weights, self.options, self.train_data, self.registry,
                               domain)
        return build_extractor(self.spec, setup)

    def protocol(self) -> dict[str, Any]:
        return {"id": self.spec.id, "version": self.spec.version, "input": "images rounded to 8 bits",
                **self.instance.describe()}

    def for_reference(self, reference: Reference) -> Extractor:
        """The same extractor choice for images shaped like (and, when it learns, trained on) ``reference``."""
        if reference.key not in self._for:
            train_data = self.train_data if self.train_data != self.reference.spec else reference.spec
            self._for[reference.key] = Extractor(self.name, reference, self.registry, self.device, self.weights,
                                                 self.options, train_data)
        return self._for[reference.key]

    def extract_batches(self, batches: Iterable[torch.Tensor]) -> Features:
        """Features (and logits) of every image in ``batches``, on the CPU as float32."""
        features, logits = [], []
        for batch in batches:
            for part in batch.split(self.instance.batch_size):
                with torch.no_grad():
                    out = self.instance.extract(quantize(part).to(self.device))
                features.append(out.features.float().cpu())
                if out.logits is not None:
                    logits.append(out.logits.float().cpu())
        return Features(torch.cat(features), torch.cat(logits) if logits else None)


class EvaluationContext:
    """Inputs of the metrics for one model: generated samples and features, the reference, the extractor."""

    def __init__(self, model: Model, model_spec: ModelSpec, reference: Reference, extractor: Extractor,
                 seed: int = 0) -> None:
        self.model, self.model_spec, self.reference, self.extractor = model, model_spec, reference, extractor
        self.seed = seed
        self._samples = torch.empty(0)
        self._features: Features | None = None

    @property
    def model_id(self) -> str:
        return self.model_spec.id

    @property
    def math_device(self) -> torch.device:
        """Where float64 metric math runs: the CUDA device when evaluating on one, else the CPU (MPS has no float64)."""
        return self.extractor.device if self.extractor.device.type == "cuda" else torch.device("cpu")

    def generated(self, n: int) -> torch.Tensor:
        """The first ``n`` samples of this model (CPU float32), drawn in fixed-seed chunks."""
        if n < 1:
            raise GensynthError(f"the number of samples must be at least 1, got {n}")
        have = len(self._samples)
        if n > have:
            with torch.no_grad():
                new = [self.model.sample(SAMPLE_CHUNK, seed=derived_seed(self.seed, index)).float().cpu()
                       for index in range(have // SAMPLE_CHUNK, -(-n // SAMPLE_CHUNK))]
            samples = torch.cat([self._samples, *new] if have else new)
            bad = int((~torch.isfinite(samples.flatten(1))).any(dim=1).sum())
            if bad:
                raise GensynthError(f"{self.model_id} generated {bad:,} of {len(samples):,} samples with NaN or "
                                    f"infinite values; its weights have diverged, so it cannot be evaluated "
                                    f"(evaluate an earlier checkpoint, or retrain with a lower learning rate)")
            self._samples = samples
        return self._samples[:n]

    def generated_features(self, n: int) -> Features:
        """Extractor features (and logits) of the first ``n`` generated images."""
        if self._features is None or len(self._features.features) < n:
            images = self.generated(n)
            wanted = tuple(self.reference.data.shape)
            if tuple(images.shape[1:]) != wanted:
                raise GensynthError(
                    f"{self.model_id} generates {'x'.join(map(str, images.shape[1:]))} images but "
                    f"{self.reference.given} gives {'x'.join(map(str, wanted))}; "
                    f"compare against data in the model's format")
            self._features = self.extractor.extract_batches([images])
        logits = None if self._features.logits is None else self._features.logits[:n]
        return Features(self._features.features[:n], logits)

    def domain_reference(self, spec: str, domain: str | None, option: str) -> Reference:
        """Data ``spec`` loaded as the model asks for ``domain`` (ignored for a model of one data set)."""
        request = self.model.data_request()
        if not isinstance(request, DataRequest):
            if domain not in request:
                raise GensynthError(f"{self.model_id} has no data domain {domain!r}; its domains are "
                                    f"{', '.join(request)}")
            request = dataclasses.replace(request[domain], domain=domain)
        return self.reference.sibling(spec, request, option)

    @contextlib.contextmanager
    def seeded(self, seed: int) -> Iterator[None]:
        """Run with torch's global generator seeded with ``seed``; its previous state is restored afterwards."""
        with forked_rng(self.model.device):
            torch.manual_seed(seed)
            yield
