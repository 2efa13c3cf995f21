"""``gensynth report``."""

from __future__ import annotations

import click


@click.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(), metavar="RUN...")
@click.option("-o", "--output", default="report.html", show_default=True, type=click.Path(dir_okay=False),
              help="The HTML file to write (self-contained: images and plots inside).")
def report(run_dirs, output) -> None:
    """Write a self-contained HTML page about RUN...: samples over training, curves, evaluations, config."""
    from gensynth import api

    path = api.report(run_dirs, output)
    click.echo(f"Wrote {path}", err=True)
