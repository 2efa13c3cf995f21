"""Settings named in messages as the user gave them: command-line options from the CLI, arguments from Python.

The same check serves ``gensynth train --batch-size 0`` and
``api.train(..., batch_size=0)``; its message should say ``--batch-size`` in
the first case and ``batch_size`` in the second. The CLI runs every command
inside :func:`cli_spelling`; the core builds its messages with :func:`option`
(and :func:`config_value` for model config fields), never by rewriting text.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from typing import Any, Iterator

_FROM_CLI = contextvars.ContextVar("gensynth_from_cli", default=False)
_UNSET: Any = object()

#: Python arguments spelt otherwise on the command line.
_CLI_NAMES = {"config": "--set/--config", "progress": "--quiet", "save": "--no-save", "params": "--param",
              "extractor_options": "--extractor-option"}


@contextlib.contextmanager
def cli_spelling() -> Iterator[None]:
    """Within this block, messages name command-line options."""
    token = _FROM_CLI.set(True)
    try:
        yield
    finally:
        _FROM_CLI.reset(token)


def from_cli() -> bool:
    return _FROM_CLI.get()


def option(name: str, value: Any = _UNSET) -> str:
    """The setting ``name`` (its Python argument name), with ``value`` when given.

    From the CLI: ``--batch-size``, ``--batch-size 8``, ``--resume`` (a flag given as ``True``);
    from Python: ``batch_size``, ``batch_size=8``, ``resume=True``. Two names reach inside an
    argument: ``data[a]`` (a domain's spec: ``--data-a`` / ``data['a']``) and ``params[kid.subset_size]``
    (a metric parameter: ``--param kid.subset_size=...`` / ``params['kid']['subset_size']``).
    """
    inner = re.fullmatch(r"(data|params)\[(.+)\]", name)
    if not from_cli():
        if inner:
            keys = [inner[2]] if inner[1] == "data" else inner[2].split(".", 1)
            name = inner[1] + "".join(f"[{key!r}]" for key in keys)
        return name if value is _UNSET else f"{name}={value!r}"
    if inner and inner[1] == "params":
        return f"--param {inner[2]}" + ("" if value is _UNSET else f"={value}")
    flag = f"--data-{inner[2]}" if inner else _CLI_NAMES.get(name, "--" + name.replace("_", "-"))
    return flag if value is _UNSET or value is True else f"{flag} {value}"


def config_value(name: str, value: Any) -> str:
    """A model config field set to ``value``: ``--set name=value`` or ``config={'name': value}``."""
    return f"--set {name}={value}" if from_cli() else f"config={{{name!r}: {value!r}}}"
