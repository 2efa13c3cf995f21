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
from gensynth._evaluation.describe import DESCRIPTIVE
from gensynth._version import __version__


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
