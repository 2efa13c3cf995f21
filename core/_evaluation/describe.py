"""Protocols in words, for tables: the feature space, the reference, whether published numbers compare.

Torch-free: ``gensynth runs`` and ``gensynth report`` read saved results without torch.

A value is comparable with numbers published in papers only when its features come
from the extractor those numbers were measured with: an extractor says so by putting
``"reference_weights": true`` in its description (the ``inception`` extractor does,
when its weights file is pytorch-fid's ``pt_inception-2015-12-05``), and only then
if the paper used the same number of generated samples and the same reference data.
Values in other feature spaces (the default ``classifier``) are comparable only with
each other, under the same protocol id.
"""

from __future__ import annotations

from typing import Any, Mapping



def extractor_name(protocol: dict[str, Any]) -> str | None:
    extractor = protocol.get("extractor")
    return str(extractor["id"]).rpartition(":")[2] if extractor else None


def feature_space(protocol: dict[str, Any], detail: bool = True) -> str:
    """``classifier (trained on digits, accuracy 97.2%)``, ``inception (pytorch-fid weights)``, or ``-``."""
    extractor = protocol.get("extractor")
    name = extractor_name(protocol)
    if not extractor:
        return "-"
    if not detail:
        return name or "-"
    if extractor.get("reference_weights") is True:
        return f"{name} (pytorch-fid weights)"
    if extractor.get("reference_weights") is False:
        return f"{name} (other weights)"
    if "test_accuracy" in extractor:
        trained = f"trained on {extractor['train_spec']}, " if extractor.get("train_spec") else ""
        return f"{name} ({trained}accuracy {extractor['test_accuracy']:.1%})"
    return name or "-"


def reference_text(protocol: dict[str, Any]) -> str:
    """The data compared with: ``digits (1,797)``; ``-`` when none."""
    parts = []
    for role in ("reference", "source"):
        data = protocol.get(role)
        if data:
            parts.append(f"{'source ' if role == 'source' else ''}{data['spec']} ({data['num_samples']:,})")
    return "; ".join(parts) or "-"


def published(protocol: dict[str, Any]) -> str:
    """Whether the value compares with published numbers: ``if same n and data`` / ``no (classifier)`` / ``-``."""
    extractor = protocol.get("extractor")
    if not extractor:
        return "-"
    if extractor.get("reference_weights") is True:
        return "if same n and data"
    return f"no ({feature_space(protocol, detail=False)} features)"


def published_sentence(protocol: dict[str, Any]) -> str:
    """Whether values under ``protocol`` compare with numbers published in papers, in one sentence."""
    verdict = published(protocol)
    if verdict == "-":
        return ""
    if verdict.startswith("if"):
        n = protocol.get("generated", {}).get("num_samples")
        samples = f"{n:,} generated samples" if n else "the same number of generated samples"
        return (f"Comparable with published numbers measured on {samples} against the same reference data "
                f"({reference_text(protocol)}); most papers use 50,000 samples against the full training set.")
    return ("Not comparable with published numbers, which use Inception features with pytorch-fid's weights "
            "(--extractor inception); compare these only with values of the same protocol id.")


def describe(protocol: dict[str, Any]) -> str:
    """A protocol on one line: extractor, reference, generated samples, parameters, versions."""
    parts = []
    extractor = protocol.get("extractor")
    if extractor:
        parts.append(f"extractor {extractor['id']} = {feature_space(protocol)}")
    for role in ("reference", "source"):
        data = protocol.get(role)
        if data:
            parts.append(f"{role} {data['spec']} ({data['num_samples']:,} samples)")
    generated = protocol.get("generated")
    if generated:
        parts.append(f"{generated['num_samples']:,} generated (seed {generated['seed']})")
    params = protocol.get("params")
    if params:
        parts.append(", ".join(f"{k}={v}" for k, v in params.items()))
    versions = protocol.get("versions", {})
    parts.append(" ".join(f"{k} {v}" for k, v in versions.items()))
    return "; ".join(parts)


def value_rows(values: Mapping[str, float]) -> list[tuple[str, float, float | None]]:
    """``(name, value, spread or None)`` of evaluation values, each paired with its ``_std`` companion
    (``kid`` with ``kid_std``); the one place that pairs them, for every table, page and progress line."""
    return [(name, value, values.get(f"{name}_std")) for name, value in values.items() if not name.endswith("_std")]


def short_values(results: list[dict[str, Any]]) -> str:
    """``fid=77.7 kid=0.97 (classifier features)``: saved results in a few words."""
    groups: dict[str, list[str]] = {}
    for result in results:
        space = feature_space(result["protocol"], detail=False)
        groups.setdefault(space, []).extend(f"{name}={value:.4g}" for name, value, _ in value_rows(result["values"]))
    return "; ".join(" ".join(values) + ("" if space == "-" else f" ({space} features)")
                     for space, values in groups.items())


#: Descriptive protocol entries left out of the id: ``(section, key)``.
DESCRIPTIVE = {("reference", "spec"), ("source", "spec"), ("extractor", "train_spec")}


def differences(a: dict[str, Any], b: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted names of the entries in which two protocols differ (descriptive ones excluded)."""
    out = []
    for key in sorted(set(a) | set(b)):
        name = f"{prefix}{key}"
        if tuple(name.split(".")) in DESCRIPTIVE:
            continue
        left, right = a.get(key), b.get(key)
        if isinstance(left, dict) and isinstance(right, dict):
            out += differences(left, right, f"{name}.")
        elif left != right:
            out.append(name)
    return out
