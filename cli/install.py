"""``gensynth install`` and ``gensynth uninstall``: plugin packages in gensynth's own interpreter."""

from __future__ import annotations

import click

verbose_option = click.option("-v", "--verbose", is_flag=True,
                              help="Show the installer's output as it runs [default: only when it fails].")


@click.command()
@click.argument("packages", nargs=-1, metavar="PKG_OR_PATH...")
@click.option("-U", "--upgrade", is_flag=True, help="Upgrade to the newest version.")
@click.option("-e", "--editable", "editables", multiple=True, metavar="PATH",
              help="Install the project in PATH in editable (development) mode (repeatable).")
@click.option("--pre", is_flag=True, help="Include pre-release versions.")
@click.option("-r", "--requirement", "requirements", multiple=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False), help="Install what FILE lists, e.g. `gensynth plugins --freeze` output.")
@verbose_option
@click.option("--pip-arg", "pip_args", multiple=True, hidden=True,
              help="Pass an extra argument to the installer (e.g. --no-index).")
def install(packages, upgrade, editables, pre, requirements, verbose, pip_args) -> None:
    """Install plugin packages (names, paths, wheels, URLs) and check what they register."""
    from gensynth._errors import GensynthError
    from gensynth._discovery.installer import find_installer, install as run_install

    if not (packages or editables or requirements):
        raise click.UsageError("give a package, a path, -e PATH or -r FILE")
    args = [*(["--upgrade"] if upgrade else []), *(["--pre"] if pre else []), *pip_args]
    args += [a for path in editables for a in ("-e", path)] + [a for f in requirements for a in ("-r", f)] + list(packages)
    installer = find_installer()
    click.echo(f"Installing with {installer.description}{'' if verbose else ' (its output if it fails; -v shows it)'}",
               err=True)
    report = run_install(args, installer, verbose)
    for record in report.plugins:
        if record.status != "ok" or not record.registers:
            continue
        click.echo(f"{record.distribution} {record.version}: plugin {record.name} registers {record.registers}")
        if record.key in report.changes:
            changes = report.changes[record.key]
            click.echo(f"  changed since it last loaded: {'; '.join(changes)}" if changes else
                       "  unchanged since it last loaded")
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    if report.problems:
        for problem in report.problems[:-1]:
            click.echo(f"Error: {problem}", err=True)
        raise GensynthError(report.problems[-1])


@click.command()
@click.argument("names", nargs=-1, required=True, metavar="PKG...")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@verbose_option
def uninstall(names, yes, verbose) -> None:
    """Remove plugin packages, by distribution or plugin name. Imports no plugin, so it works with broken ones."""
    from gensynth._discovery.installer import find_installer, uninstall as run_uninstall, uninstall_targets

    targets = uninstall_targets(names)
    for target in targets:
        click.echo(f"Uninstalling {target.label}", err=True)
    if not yes:
        click.confirm("Proceed?", abort=True, err=True)
    run_uninstall(targets, find_installer(), verbose)
    for target in targets:
        click.echo(f"Uninstalled {target.name} {target.version}")
