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
    from gensynth._discovery.loader import check_strict
    from gensynth._discovery.probe import probe_records

    records = probe_records()
    check_strict(records)
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
        elif (r.warnings or r.conflicts) and r.status == "ok":
            status += " (warning: " + "; ".join(r.warnings + r.conflicts) + ")"
        style = {"ok": "yellow" if r.conflicts else "green", "skipped": "dim", "disabled": "dim"}.get(r.status, "red")
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
    """Switch plugin NAME off or on, keyed by distribution and entry-point name (see settings.py)."""
    from gensynth._discovery.distributions import find_plugin_distribution, plugin_keys
    from gensynth._discovery.settings import normalize_distribution, plugin_switches, save_switches

    current = plugin_switches()
    recorded = {k for k in current.keys if k.plugin == name or k.distribution == normalize_distribution(name)}
    if not disabled and (recorded or name in current.legacy_names) and not _installed(name):
        keys, owner = recorded, ""  # switched off, then uninstalled: still switch it back on
    else:
        dist = find_plugin_distribution(name)
        keys, owner = plugin_keys(name, dist), "" if dist.builtin else f" of {dist.name}"
    plugins = {k.plugin for k in keys} | ({name} & current.legacy_names)
    wanted = current.disabling(keys) if disabled else current.enabling(keys, plugins)
    listed = ", ".join(sorted(plugins)) + owner
    if wanted == current:
        click.echo(f"Plugin {listed} is already {'disabled' if disabled else 'enabled'}.")
        return
    save_switches(wanted)
    if disabled:
        click.echo(f"Disabled plugin {listed}; `gensynth plugins enable {name}` turns it back on.")
    else:
        click.echo(f"Enabled plugin {listed}.")


def _installed(name: str) -> bool:
    from gensynth._discovery.distributions import plugin_distributions
    from gensynth._discovery.settings import normalize_distribution

    return any(name in d.plugins or normalize_distribution(d.name) == normalize_distribution(name)
               for d in plugin_distributions())
