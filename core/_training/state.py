"""Pickle-free serialisation of nested training state.

Optimizer, scheduler and RNG states are nested dicts/lists of tensors and
plain values. :func:`split_state` moves every tensor into a flat dict (saved
with safetensors) and leaves a JSON tree with ``{"__tensor__": key}`` markers;
dicts with non-string keys (optimizer state is keyed by int) and tuples are
encoded so that :func:`join_state` gives back exactly what went in.
"""

from __future__ import annotations

from typing import Any

import torch

_TENSOR, _ITEMS, _TUPLE, _FLOAT = "__tensor__", "__items__", "__tuple__", "__float__"


def split_state(obj: Any, prefix: str = "") -> tuple[Any, dict[str, torch.Tensor]]:
    """Return ``(json_tree, tensors)`` for a nested state object."""
    tensors: dict[str, torch.Tensor] = {}

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, torch.Tensor):
            tensors[path] = value.detach().cpu().contiguous().clone()
            return {_TENSOR: path}
        if isinstance(value, dict):
            if all(isinstance(k, str) for k in value) and not ({_TENSOR, _ITEMS, _TUPLE, _FLOAT} & set(value)):
                return {k: walk(v, f"{path}/{k}") for k, v in value.items()}
            return {_ITEMS: [[walk(k, f"{path}/key{i}"), walk(v, f"{path}/{i}")] for i, (k, v) in enumerate(value.items())]}
        if isinstance(value, tuple):
            return {_TUPLE: [walk(v, f"{path}/{i}") for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [walk(v, f"{path}/{i}") for i, v in enumerate(value)]
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            return {_FLOAT: repr(value)}
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise TypeError(f"cannot store {type(value).__name__} at {path!r} in training state without pickle")

    return walk(obj, prefix), tensors


def join_state(tree: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Inverse of :func:`split_state`."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            if _TENSOR in value:
                return tensors[value[_TENSOR]]
            if _ITEMS in value:
                return {_hashable(walk(k)): walk(v) for k, v in value[_ITEMS]}
            if _TUPLE in value:
                return tuple(walk(v) for v in value[_TUPLE])
            if _FLOAT in value:
                return float(value[_FLOAT])
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(tree)


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key
