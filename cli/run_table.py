"""``gensynth runs``: the runs below a folder, from their files alone (no torch)."""

from __future__ import annotations

import click

from gensynth.cli.output import console, print_json

STYLES = {"completed": "green", "running": "cyan", "interrupted": "yellow", "failed": "red"}


@click.command("runs")
@click.argument("folder", required=False, default="runs", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable records.")
def runs(folder: str, as_json: bool) -> None:
    """The runs at or below FOLDER [default: runs]: model, step/total, status, age and latest evaluation."""
    from pathlib import Path

    from rich.markup import escape

    from gensynth._errors import GensynthError
    from gensynth._evaluation.describe import short_values
    from gensynth._training.catalog import age_text, find_runs

    root = Path(folder)
    if not root.is_dir():
        raise GensynthError(f"folder {folder} does not exist; `gensynth train` writes runs under runs/ by default")
    found = find_runs(root)
    if as_json:
        print_json([summary.to_json() for summary in found])
        return
    out = console()
    if not found:
        out.print(f"No runs below {folder}.", highlight=False)
        return
    from rich import box
    from rich.table import Table

    table = Table(header_style="bold", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column, options in (("run", {"overflow": "fold"}), ("model", {"overflow": "fold"}),
                            ("step", {"justify": "right", "no_wrap": True}), ("status", {"overflow": "fold"}),
                            ("age", {"justify": "right", "no_wrap": True}), ("latest evaluation", {"overflow": "fold"})):
        table.add_column(column, **options)
    for summary in found:
        name = summary.dir.relative_to(root).as_posix() if summary.dir != root else str(root)
        step = f"{summary.step}/{summary.total_steps}" if summary.total_steps else str(summary.step)
        status = f"[{STYLES[summary.status]}]{summary.status}[/]"
        if summary.error:
            status += f": {escape(summary.error)}"
        evaluation = short_values(summary.evaluation)
        if evaluation and summary.evaluation_step is not None:
            evaluation = f"@{summary.evaluation_step}: {evaluation}"
        table.add_row(escape(name), summary.model_id, step, status, age_text(summary.age), escape(evaluation) or "-")
    out.print(table)
