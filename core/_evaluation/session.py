"""Running metrics: resolve them, check they apply, compute them, record each result with its protocol."""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import torch

from gensynth._training.atomic import write_json_atomic
from gensynth._data.domains import Requested
from gensynth._errors import GensynthError
from gensynth._evaluation.context import SAMPLE_CHUNK, EvaluationContext, Extractor, Reference
from gensynth._evaluation.describe import differences
from gensynth._evaluation.protocol import protocol_id, versions
from gensynth._evaluation.interfaces import Evaluator
from gensynth._models.model import Model
from gensynth._naming import option
from gensynth._discovery.registry import Registry
from gensynth._metadata.specs import EvaluatorSpec, ModelSpec

DEFAULT_EXTRACTOR = "classifier"
_GENERATES = {"images", "points", "features", "logits"}


@dataclasses.dataclass
class MetricResult:
    """The values of one metric and the protocol they were measured under."""

    metric: str
    values: dict[str, float]
    protocol: dict[str, Any]
    seconds: float

    @property
    def protocol_id(self) -> str:
        return protocol_id(self.protocol)

    def to_json(self) -> dict[str, Any]:
        return {"metric": self.metric, "values": self.values, "protocol_id": self.protocol_id,
                "protocol": self.protocol, "seconds": round(self.seconds, 3)}


def parse_params(items: Iterable[str]) -> dict[str, dict[str, str]]:
    """``["kid.subset_size=500"]`` -> ``{"kid": {"subset_size": "500"}}``."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for item in items:
        name, sep, value = item.partition("=")
        metric, dot, field = name.strip().rpartition(".")
        if not sep or not dot or not metric or not field:
            raise GensynthError(f"{option('params')} expects METRIC.FIELD=VALUE (e.g. kid.subset_size=500), got {item!r}")
        out[metric][field] = value.strip()
    return dict(out)


def resolve_evaluators(names: Sequence[str], params: Mapping[str, Mapping[str, Any]],
                       registry: Registry) -> list[tuple[EvaluatorSpec, Evaluator]]:
    """The evaluators ``names`` (ids or short names) built with their ``params``; unknown names are errors."""
    if not names:
        raise GensynthError(f"no metrics given: pass {option('metrics')}, e.g. fid,kid (see `gensynth plugins`)")
    specs: list[EvaluatorSpec] = [_metric_spec(name, registry) for name in names]
    if len({s.id for s in specs}) != len(specs):
        raise GensynthError(f"a metric is named twice in {','.join(names)}; name each once")
    by_name = {**{s.name: s for s in specs}, **{s.id: s for s in specs}}
    stray = sorted(set(params) - set(by_name))
    if stray:
        raise GensynthError(f"{option('params')} names metric {stray[0]!r}, which is not among the metrics {','.join(names)}")
    chosen = []
    for spec in specs:
        cls = spec.load_subclass(Evaluator)
        values = {**params.get(spec.name, {}), **params.get(spec.id, {})}
        fields = [f.name for f in cls.fields_info()]
        unknown = sorted(set(values) - set(fields))
        if unknown:
            raise GensynthError(f"metric {spec.name} has no parameter {unknown[0]!r}; "
                                f"its parameters are {', '.join(fields) or 'none'}")
        chosen.append((spec, cls.from_dict(values, model=f"metric {spec.name}")))
    return chosen


def _metric_spec(name: str, registry: Registry) -> EvaluatorSpec:
    """The metric ``name``; a name that is one of the values a metric reports (``psnr``) is refused
    with that metric, any other unknown name with the metrics there are."""
    metrics = registry.all("metrics")
    if not any(name in (spec.id, spec.name) for spec in metrics):
        reporting = [spec for spec in metrics if name in spec.values]
        if reporting:
            spec = reporting[0]
            raise GensynthError(f"{name} is a value of metric {spec.name}, not a metric: pass "
                                f"{option('metrics', spec.name)} (it reports {', '.join(spec.values)})")
    return registry.resolve("metrics", name,
                            choices=f"the metrics are {', '.join(sorted({spec.name for spec in metrics}))}")


class Evaluation:
    """Metrics measured against one reference with one extractor.

    Reusable across models and calls (the Trainer evaluates every N steps): the
    reference data, its features and the extractor are loaded once.
    """

    def __init__(self, metrics: Sequence[str], reference: str, request: Requested, registry: Registry, *,
                 device: torch.device, params: Mapping[str, Mapping[str, Any]] = (), num_samples: int | None = None,
                 seed: int = 0, extractor: str = DEFAULT_EXTRACTOR, extractor_weights: str | Path | None = None,
                 extractor_options: Mapping[str, str] = (), classifier_data: str | None = None,
                 reference_option: str = "reference") -> None:
        if num_samples is not None and (isinstance(num_samples, bool) or not isinstance(num_samples, int)):
            raise GensynthError(f"{option('num_samples')} must be an integer, got {num_samples!r}")
        if num_samples is not None and num_samples < 1:
            raise GensynthError(f"{option('num_samples')} must be at least 1, got {num_samples}")
        self.evaluators = resolve_evaluators(list(metrics), dict(params), registry)
        self.reference = Reference(reference, request, registry, reference_option)
        self.extractor = Extractor(extractor, self.reference, registry, device, extractor_weights,
                                   dict(extractor_options), classifier_data)
        self.num_samples, self.seed = num_samples, seed

    def context(self, model: Model, model_spec: ModelSpec) -> EvaluationContext:
        return EvaluationContext(model, model_spec, self.reference, self.extractor, self.seed)

    def check(self, ctx: EvaluationContext) -> None:
        """Raise a GensynthError naming the first metric that cannot apply to the context's model."""
        for spec, evaluator in self.evaluators:
            _check_applies(spec, evaluator, ctx)

    def run(self, model: Model, model_spec: ModelSpec) -> list[MetricResult]:
        """Check every metric, then compute each, in the order given."""
        ctx = self.context(model, model_spec)
        self.check(ctx)
        results = []
        for spec, evaluator in self.evaluators:
            n = self.num_samples or evaluator.default_samples
            began = time.perf_counter()
            values = evaluator.compute(ctx, n)
            protocol = _protocol(spec, evaluator, ctx, n)
            results.append(MetricResult(spec.id, values, protocol, time.perf_counter() - began))
        return results


def _check_applies(spec: EvaluatorSpec, evaluator: Evaluator, ctx: EvaluationContext) -> None:
    makes = "images" if ctx.model_spec.data == "image" else "points"
    needs_images = evaluator.needs & {"images", "features", "logits"}
    if needs_images and makes != "images":
        raise GensynthError(f"metric {spec.name} does not apply to {ctx.model_id}: it needs generated images and "
                            f"this model generates points (mode_coverage measures point models)")
    if "points" in evaluator.needs and makes != "points":
        raise GensynthError(f"metric {spec.name} does not apply to {ctx.model_id}: it needs generated 2-D points "
                            f"and this model generates images")
    if evaluator.needs & _GENERATES and type(ctx.model).sample is Model.sample:
        raise GensynthError(f"metric {spec.name} does not apply to {ctx.model_id}: it needs generated samples and "
                            f"this model does not sample (it implements no sample())")
    for method in evaluator.methods:
        if not callable(getattr(ctx.model, method, None)):
            raise GensynthError(f"metric {spec.name} does not apply to {ctx.model_id}: it needs a model with a "
                                f"{method}() method (see gensynth._evaluation.interfaces) and this one has none")
    if evaluator.needs & {"features", "logits"}:
        extractor_id = ctx.extractor.spec.id  # an unknown --extractor is an error now, before any heavy work
        if "logits" in evaluator.needs and not ctx.extractor.instance.has_logits:
            raise GensynthError(f"metric {spec.name} needs class logits and extractor {extractor_id} gives none; "
                                f"use an extractor with logits (classifier, inception)")
    evaluator.check(ctx)


def _protocol(spec: EvaluatorSpec, evaluator: Evaluator, ctx: EvaluationContext, n: int) -> dict[str, Any]:
    protocol: dict[str, Any] = {"metric": spec.id, "params": evaluator.parameters()}
    if evaluator.needs & _GENERATES:
        protocol["generated"] = {"num_samples": n, "seed": ctx.seed, "chunk": SAMPLE_CHUNK}
    if evaluator.needs & {"features", "logits"}:
        protocol["extractor"] = ctx.extractor.protocol()  # with the extractor plugin's version
    if evaluator.needs & {"features", "reference"}:
        protocol["reference"] = ctx.reference.protocol()
    protocol.update(evaluator.protocol(ctx))
    protocol["versions"] = versions((spec.plugin, spec.version))
    return protocol


@dataclasses.dataclass
class EvaluationReport:
    """Results for one run, as written to ``RUN_DIR/eval/<name>.json``."""

    run: dict[str, Any]
    results: list[MetricResult]
    created: str = dataclasses.field(default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    #: Where :meth:`save` wrote it.
    path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {"created": self.created, "run": self.run, "results": [r.to_json() for r in self.results]}

    def save(self, folder: Path, name: str | None = None) -> Path:
        """Write the report atomically as ``folder/<name>.json`` (default: the creation time, made unique)."""
        stem = name or self.created.replace("-", "").replace(":", "")
        path, n = folder / f"{stem}.json", 1
        while name is None and path.exists():
            n += 1
            path = folder / f"{stem}-{n}.json"
        write_json_atomic(path, self.to_json())
        self.path = path
        return path


def incomparable(results: Sequence[tuple[str, MetricResult]]) -> list[str]:
    """One line per metric measured under several protocols across ``(label, result)`` pairs, naming what differs."""
    by_metric: dict[str, dict[str, tuple[str, MetricResult]]] = defaultdict(dict)
    for label, result in results:
        by_metric[result.metric].setdefault(result.protocol_id, (label, result))
    lines = []
    for metric, groups in by_metric.items():
        if len(groups) > 1:
            (label_a, a), (label_b, b) = list(groups.values())[:2]
            what = ", ".join(differences(a.protocol, b.protocol)) or "protocol"
            lines.append(f"{metric}: {label_a} and {label_b} were measured under different protocols "
                         f"(they differ in {what}); their values are not comparable")
    return lines
