"""The one rule for seeds (torch-free): an integer from 0 to :data:`MAX_SEED`.

A config field, a metric parameter or a training option that holds a seed is
declared with :func:`seed_field` and checked with every other field; a seed
given as a function argument (``build_model``, ``evaluate``, ``Model.sample``)
is checked by :func:`check_seed` against the same bounds, so the words of a
refusal are the same everywhere (``--seed must be in [0, 4294967295], got -1``).
"""

from __future__ import annotations

import operator
from typing import Any

from gensynth._errors import GensynthError
from gensynth._metadata.config import FieldInfo, bound_violation, field
from gensynth._naming import option

MAX_SEED = 2**32 - 1
"""The largest seed a user gives (NumPy's range), which leaves room for the seeds derived from it."""
GENERATOR_SEEDS = 2**64 - 1
"""The largest seed a ``torch.Generator`` takes (what ``Model.sample`` accepts, for derived seeds)."""


def derived_seed(seed: int, index: int) -> int:
    """The ``index``-th seed derived from ``seed``: ``(seed * 1_000_003 + index) mod 2**64``, for a run's epoch
    ``index`` (its data order) and for chunk ``index`` of samples drawn with one seed (evaluations, ``sample``)."""
    return (seed * 1_000_003 + index) % (GENERATOR_SEEDS + 1)


def seed_field(default: int, help: str) -> Any:
    """Declare a field holding a seed: :func:`gensynth.field` bounded to ``[0, MAX_SEED]``."""
    return field(default, help, ge=0, le=MAX_SEED)


def check_seed(seed: Any, name: str = "seed", most: int = MAX_SEED) -> int:
    """``seed`` as an int when it is an integer (NumPy integers count) from 0 to ``most``, else a one-line
    GensynthError in the words of a bounded field's."""
    try:
        value = None if isinstance(seed, bool) else operator.index(seed)
    except TypeError:
        value = None
    if value is None:
        raise GensynthError(f"{option(name)} must be an integer, got {seed!r}")
    problem = bound_violation(FieldInfo(name, "int", 0, "", None, {"ge": 0, "le": most}), value)
    if problem:
        raise GensynthError(f"{option(name)} {problem}, got {value}")
    return value
