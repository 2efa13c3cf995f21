"""Typed, JSON-serialisable model configuration.

A model's configuration is a dataclass whose fields are its constructor
arguments (the ``config.json`` idea from diffusers). Config classes live in
torch-free modules so that ``gensynth info`` can show every field, its type,
default and help without importing model code.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import typing
from typing import Any

from gensynth._errors import GensynthError

_SCALARS = {"int": int, "float": float, "bool": bool, "str": str}


_BOUNDS = {"ge": lambda v, b: v >= b, "gt": lambda v, b: v > b, "le": lambda v, b: v <= b, "lt": lambda v, b: v < b}


def field(default: Any, help: str, choices: typing.Sequence[Any] | None = None, *,
          ge: float | None = None, gt: float | None = None, le: float | None = None, lt: float | None = None,
          absent: Any = dataclasses.MISSING) -> Any:
    """Declare a config field with its default, a help text, optional choices and optional bounds.

    ``ge``/``gt``/``le``/``lt`` bound a number (each element of a list) from below or above
    (``>=``, ``>``, ``<=``, ``<``); ``None`` always passes an optional field. Bounds are
    checked in one place, whenever a config is built, so a model never sees a value outside them.
    ``default=dataclasses.MISSING`` makes the field required. ``absent`` is the value of a run
    recorded before the field existed, when that is not the default (a new field whose default
    changes what older runs did): loading or resuming such a run uses it (:meth:`ModelConfig.recorded`).
    A subclass that only changes a field's default assigns it (``lr: float = 1e-3``) and keeps the
    help, choices and bounds declared above it; ``absent`` belongs to each declaration, not inherited.
    """
    bounds = {name: value for name, value in (("ge", ge), ("gt", gt), ("le", le), ("lt", lt)) if value is not None}
    metadata = {"help": help, "choices": tuple(choices) if choices else None, "bounds": bounds}
    if absent is not dataclasses.MISSING:
        metadata["absent"] = absent
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: json.loads(json.dumps(default)), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass(frozen=True)
class FieldInfo:
    """What ``gensynth info`` shows about one config field."""

    name: str
    type: str
    default: Any
    help: str
    choices: tuple[Any, ...] | None
    bounds: typing.Mapping[str, float] = dataclasses.field(default_factory=dict)

    @property
    def range_text(self) -> str:
        """The bounds as words: ``at least 1``, ``above 0``, ``in [0, 1)`` (empty when unbounded)."""
        b = self.bounds
        low = ("[", b["ge"]) if "ge" in b else ("(", b["gt"]) if "gt" in b else None
        high = ("]", b["le"]) if "le" in b else (")", b["lt"]) if "lt" in b else None
        if low and high:
            return f"in {low[0]}{_number(low[1])}, {_number(high[1])}{high[0]}"
        if low:
            return f"{'at least' if low[0] == '[' else 'above'} {_number(low[1])}"
        if high:
            return f"{'at most' if high[0] == ']' else 'below'} {_number(high[1])}"
        return ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "default": self.default,
            "help": self.help,
            "choices": list(self.choices) if self.choices else None,
            "bounds": dict(self.bounds),
        }


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def _type_name(tp: Any) -> str:
    if tp in (int, float, bool, str):
        return tp.__name__
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return f"list[{_type_name(args[0])}]" if args else "list"
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return f"{_type_name(args[0])} | None"
    raise TypeError(f"unsupported config field type {tp!r}: use int, float, bool, str, list[...] or Optional")


def _declaration(cls: type, name: str) -> typing.Mapping[str, Any]:
    """The help, choices and bounds of field ``name``: from the nearest class in ``cls``'s MRO that declared it
    with :func:`field`, so that a subclass changes only a default by assigning it (``ema_decay: float = 0.999``)."""
    for klass in cls.__mro__:
        declared = klass.__dict__.get("__dataclass_fields__", {}).get(name)
        if declared is not None and "help" in declared.metadata:
            return declared.metadata
    return {}


def fields_info(cls: type) -> list[FieldInfo]:
    """What :func:`field` declared for each field of the dataclass ``cls`` (a required field's default is None)."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        default = (f.default if f.default is not dataclasses.MISSING
                   else None if f.default_factory is dataclasses.MISSING else f.default_factory())
        declared = _declaration(cls, f.name)
        try:
            type_name = _type_name(hints[f.name])
        except TypeError as exc:
            raise TypeError(f"config field {f.name!r}: {exc}") from None
        out.append(FieldInfo(f.name, type_name, default, declared.get("help", ""),
                             declared.get("choices"), declared.get("bounds", {})))
    return out


@dataclasses.dataclass
class ModelConfig:
    """Base class of model configs. Subclass it as a dataclass with ``field(...)`` entries."""

    @classmethod
    def fields_info(cls) -> list[FieldInfo]:
        return fields_info(cls)

    def __post_init__(self) -> None:
        """Convert every field to its declared type and check its choices and bounds, however the config is built
        (``MyConfig(lr="abc")`` is refused as ``from_dict`` refuses it); subclasses that add ``__post_init__`` call
        this first."""
        for info in self.fields_info():
            setattr(self, info.name, coerce(info, getattr(self, info.name), model=None))

    @classmethod
    def from_dict(cls, values: dict[str, Any], *, model: str = "this model") -> "ModelConfig":
        """Build a config from JSON-like values, checking names, types and choices."""
        infos = {i.name: i for i in cls.fields_info()}
        unknown = sorted(set(values) - set(infos))
        if unknown:
            raise GensynthError(
                f"unknown config field {unknown[0]!r} for {model}; valid fields: {', '.join(infos)} "
                f"(see `gensynth info {model}`)"
            )
        kwargs = {name: coerce(infos[name], value, model=model) for name, value in values.items()}
        return cls(**kwargs)

    @classmethod
    def recorded(cls, values: dict[str, Any]) -> dict[str, Any]:
        """A run's recorded config values, with the fields it predates at their ``absent`` values (those
        without one take their default when the config is built)."""
        missing = {f.name: f.metadata["absent"] for f in dataclasses.fields(cls)
                   if "absent" in f.metadata and f.name not in values}
        return {**values, **missing}

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(dataclasses.asdict(self)))

    def replace(self, **changes: Any) -> "ModelConfig":
        merged = {**self.to_dict(), **changes}
        return type(self).from_dict(merged)


def coerce(info: FieldInfo, value: Any, *, model: str | None = "this model") -> Any:
    """Convert ``value`` (possibly a command-line string) to the field's type (``model``: who to name, or None)."""
    kind = info.type.removesuffix(" | None")
    try:
        if info.type.endswith(" | None") and value in (None, "none", "None", "null"):
            return None
        if kind.startswith("list"):
            if isinstance(value, str):
                value = json.loads(value) if value.strip().startswith("[") else [v for v in value.split(",") if v]
            inner = _SCALARS.get(kind[5:-1], str) if kind != "list" else (lambda v: v)
            out: Any = [_scalar(inner, v) for v in value]
        else:
            out = _scalar(_SCALARS[kind], value)
    except (ValueError, TypeError, OverflowError, json.JSONDecodeError):
        name = f"config field {info.name!r}" + (f" of {model}" if model else "")
        raise GensynthError(f"{name} must be {info.type}, got {value!r}") from None
    check_value(info, out, model=model)
    return out


def check_value(info: FieldInfo, value: Any, *, model: str | None = "this model") -> None:
    """Raise a one-line GensynthError when ``value`` is outside the field's choices or bounds."""
    problem = bound_violation(info, value)
    if problem:
        name = f"config field {info.name!r}" + (f" of {model}" if model else "")
        raise GensynthError(f"{name} {problem}, got {value!r}")


def bound_violation(info: FieldInfo, value: Any) -> str:
    """What ``value`` fails of the field's choices or bounds (``"must be at least 1"``), or ``""``."""
    if value is None:
        return ""
    if info.choices and value not in info.choices:
        return f"must be one of {', '.join(map(str, info.choices))}"
    numbers = value if isinstance(value, (list, tuple)) else [value]
    for number in numbers:
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            continue
        if not math.isfinite(number):
            return "must be a finite number"
        if any(not _BOUNDS[key](number, bound) for key, bound in info.bounds.items()):
            return f"must be {info.range_text}"
    return ""


def _scalar(tp: Any, value: Any) -> Any:
    if tp is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValueError(value)
    if tp is int and isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    if tp is int and isinstance(value, bool):
        raise ValueError(value)
    if tp is str and not isinstance(value, str):  # str(None) or str(3) would hide a mistake
        text = os.fspath(value)  # a path is its text; anything else is a TypeError
        if not isinstance(text, str):
            raise ValueError(value)
        return text
    if tp in (int, float) and isinstance(value, str):
        return tp(float(value)) if tp is int and "e" in value.lower() else tp(value)
    return tp(value)


def parse_assignments(items: typing.Iterable[str], option: str = "--set") -> dict[str, str]:
    """Parse ``--set key=value`` items (or those of another ``option``) into a dict of raw strings."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise GensynthError(f"{option} expects key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def differing_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Names of fields whose values differ between two config dicts."""
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
