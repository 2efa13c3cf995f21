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


def plugin_problems(registry) -> list[str]:
    """One line per plugin that failed, each ending with the command that removes or disables it."""
    return [f"plugin {r.name!r} ({r.distribution} {r.version}) could not be loaded: {r.status_text} ({r.remedy})"
            for r in registry.manager.records if r.failed]
