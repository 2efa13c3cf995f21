"""``list-models`` and ``info``: metadata only, never torch or model code."""

from __future__ import annotations

import click

from gensynth.cli.output import console, plugin_problems, print_json
from gensynth._discovery.registry import get_registry


@click.command("list-models")
@click.argument("pattern", required=False)
@click.option("--family", help="Only models of this family (gan, vae, ...).")
@click.option("--plugin", help="Only models registered by this plugin.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable records.")
def list_models(pattern: str | None, family: str | None, plugin: str | None, as_json: bool) -> None:
    """List installed models, optionally matching a wildcard PATTERN such as '*gan*'."""
    registry = get_registry()
    models = registry.list_models(pattern, family=family, plugin=plugin)
    if as_json:
        print_json([m.to_json() for m in models])
        return
    from rich import box
    from rich.table import Table

    # The plugin is the id's prefix and versions are in `gensynth plugins` and `info`: at 80 columns
    # the summary gets the room, on one or two lines.
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("id", no_wrap=True)
    table.add_column("family", no_wrap=True)
    table.add_column("summary", overflow="fold")
    for m in models:
        table.add_row(m.id, m.family, m.summary)
    out = console()
    if models:
        out.print(table)
    else:
        out.print("No models match." if (pattern or family or plugin) else "No models are installed.")
    problems = plugin_problems(registry)
    if problems:
        from rich.markup import escape

        err = console(stderr=True)
        for problem in problems:
            err.print(f"[yellow]warning:[/] {escape(problem)}", highlight=False, soft_wrap=True)


@click.command()
@click.argument("model")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable record.")
def info(model: str, as_json: bool) -> None:
    """Everything about one MODEL, including every config field."""
    spec = get_registry().resolve("models", model)
    if as_json:
        print_json(spec.to_json())
        return
    from rich.table import Table

    out = console()
    out.print(f"[bold]{spec.id}[/]  ({spec.family})  {spec.summary}", highlight=False)
    facts = [
        ("plugin", f"{spec.plugin} {spec.version}"),
        ("target", spec.target),
        ("data", spec.data),
        ("resolutions", ", ".join(map(str, spec.resolutions)) or "-"),
        ("channels", ", ".join(map(str, spec.channels)) or "-"),
        ("capabilities", ", ".join(spec.capabilities) or "-"),
    ]
    for key, value in facts:
        out.print(f"  {key:<13} {value}", highlight=False)
    table = Table(title="config (set with --set NAME=VALUE)", header_style="bold", title_justify="left")
    for column in ("field", "type", "default", "choices / range", "help"):
        table.add_column(column, overflow="fold")
    for f in spec.config.fields_info():
        table.add_row(f.name, f.type, repr(f.default), ", ".join(map(str, f.choices or [])) or f.range_text, f.help)
    out.print(table)
    if spec.recipes:
        recipes = Table(title="recipes (train with --recipe NAME)", header_style="bold", title_justify="left")
        for column in ("recipe", "summary", "sets"):
            recipes.add_column(column, overflow="fold")
        for recipe in spec.recipes:
            name = f"{recipe.name} (default)" if recipe.name == spec.default_recipe else recipe.name
            recipes.add_row(name, recipe.summary, recipe.describe())
        out.print(recipes)
