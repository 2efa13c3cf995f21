"""Protocols: everything that determines a metric's value, recorded with every result.

A protocol holds the metric's id and parameters, the feature extractor's
description (weights hash, input convention), the reference data (content hash,
split, sample count), the generated samples (count, seed) and the versions of
gensynth, torch and the plugins that provide the metric and the extractor (a
plugin update that changes the math changes the id). Its id hashes all of it except the reference's spec text (the
same data has different paths on different machines; its content hash stands
for it; likewise the spec of the data a classifier extractor trained on).
Results are comparable only when their protocol ids are equal.
"""

from __future__ import annotations

import copy
from typing import Any

import torch

from gensynth._evaluation.cache import digest
from gensynth._version import __version__

#: Descriptive protocol entries left out of the id: ``(section, key)``.
DESCRIPTIVE = {("reference", "spec"), ("source", "spec"), ("extractor", "train_spec")}


def versions(metric_plugin: tuple[str, str]) -> dict[str, str]:
    """gensynth's, torch's and the metric plugin's (``plugin:NAME``) versions; the extractor's is in its own entry."""
    name, version = metric_plugin
    return {"gensynth": __version__, "torch": torch.__version__, f"plugin:{name}": version}


def protocol_id(protocol: dict[str, Any]) -> str:
    """A 12-character id of everything in ``protocol`` that determines the value."""
    essential = copy.deepcopy(protocol)
    for section, key in DESCRIPTIVE:
        if isinstance(essential.get(section), dict):
            essential[section].pop(key, None)
    return digest(essential)[:12]


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
