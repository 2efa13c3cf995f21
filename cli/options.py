"""Options shared by several commands."""

from __future__ import annotations

import click


def threads_option(*, resumable: bool):
    """``--threads`` (or ``GENSYNTH_THREADS``); ``resumable``: the command continues runs, which keep their count."""
    kept = "; a resumed run keeps its own" if resumable else ""
    return click.option(
        "--threads", type=click.IntRange(min=1), envvar="GENSYNTH_THREADS", show_envvar=True,
        help=f"CPU threads of torch [default: the cores idle now, at least 1{kept}].")
