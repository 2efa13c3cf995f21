"""``gensynth plugins``: list plugins, ``--freeze`` them, ``disable``/``enable`` one.

None of these run plugin code in the gensynth process, so they work while an
installed plugin is broken: the listing discovers plugins in a child process with
a time limit (:mod:`gensynth._discovery.probe`); ``--freeze``, ``disable`` and
``enable`` read package metadata only (:mod:`gensynth._discovery.distributions`).
"""

from __future__ import annotations

import click

from gensynth.cli.output import console, print_json


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable records.")
@click.option("--freeze", is_flag=True, help="Print third-party plugins as requirement lines for `gensynth install -r FILE`.")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool, freeze: bool) -> None:
    """Installed plugins: version, what each registers, and status.

    A plugin that fails to import, raises, hangs or exits shows as an error row
    ending with the command that removes or disables it.
    """
    if ctx.invoked_subcommand is not None:
        return
    if freeze:
        _print_freeze()
        return
    from gensynth._discovery.probe import probe_records

    records = probe_records()
    if as_json:
        print_json([r.to_json() for r in records])
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(header_style="bold")
    for column in ("plugin", "distribution", "version", "registers", "status"):
        table.add_column(column, overflow="fold")
    for r in records:
        status = r.status_text
        if r.failed:
            status += f" ({r.remedy})"
        elif r.warnings and r.status == "ok":
            status += " (" + "; ".join(r.warnings) + ")"
        style = {"ok": "green", "skipped": "dim", "disabled": "dim"}.get(r.status, "red")
        table.add_row(r.name, r.distribution + (" (built-in)" if r.builtin else ""), r.version, r.registers or "-",
                      f"[{style}]{escape(status)}[/]")
    console().print(table)
    if ctx.meta.get("gensynth.debug"):
        for r in records:
            if r.traceback:
                console(stderr=True).print(f"[bold]{r.name}[/]:\n{escape(r.traceback)}", highlight=False)


def _print_freeze() -> None:
    from gensynth._discovery.distributions import plugin_distributions, requirement_line

    for dist in plugin_distributions():
        if not dist.builtin:
            click.echo(requirement_line(dist))


@plugins.command()
@click.argument("name")
def disable(name: str) -> None:
    """Stop loading plugin NAME (a plugin or distribution name) without importing it."""
    _switch(name, disabled=True)


@plugins.command()
@click.argument("name")
def enable(name: str) -> None:
    """Load plugin NAME again after `gensynth plugins disable NAME`."""
    _switch(name, disabled=False)


def _switch(name: str, disabled: bool) -> None:
    from gensynth._discovery.distributions import find_plugin_distribution
    from gensynth._discovery.settings import disabled_plugins, set_disabled

    current = disabled_plugins()
    if not disabled and name in current:  # also when the plugin is no longer installed
        names = {name}
    else:
        dist = find_plugin_distribution(name)
        names = {name} if name in dist.plugins else set(dist.plugins)
    wanted = current | names if disabled else current - names
    listed = ", ".join(sorted(names))
    if wanted == current:
        click.echo(f"Plugin {listed} is already {'disabled' if disabled else 'enabled'}.")
        return
    set_disabled(wanted)
    if disabled:
        click.echo(f"Disabled plugin {listed}; `gensynth plugins enable {name}` turns it back on.")
    else:
        click.echo(f"Enabled plugin {listed}.")
