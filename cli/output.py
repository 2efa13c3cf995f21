"""Shared terminal output helpers (rich is imported only when something is printed)."""

from __future__ import annotations

import json
from typing import Any

import click


def print_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2))


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=False)


def plugin_problems_note(registry) -> str | None:
    """One line naming plugins that failed, or None."""
    bad = [r for r in registry.manager.records if r.status in ("error", "incompatible")]
    if not bad:
        return None
    names = ", ".join(f"{r.name} ({r.status})" for r in bad)
    return f"{len(bad)} plugin(s) could not be loaded: {names}; see `gensynth plugins`"
