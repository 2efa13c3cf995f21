"""Options shared by several commands."""

from __future__ import annotations

import click

threads_option = click.option(
    "--threads", type=click.IntRange(min=1), envvar="GENSYNTH_THREADS", show_envvar=True,
    help="CPU threads of torch [default: the cores idle now, at least 1; a resumed run keeps its own].")
