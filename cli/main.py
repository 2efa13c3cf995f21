"""The ``gensynth`` command group: torch-free until a command that needs it runs."""

from __future__ import annotations

import os
import sys

import click

from gensynth._errors import GensynthError
from gensynth._version import __version__


class _Group(click.Group):
    """Turns user-facing errors into one line and a non-zero exit (``--debug`` shows the traceback)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GensynthError as exc:
            if ctx.meta.get("gensynth.debug"):
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except OSError as exc:  # a file the user named cannot be written or read
            if ctx.meta.get("gensynth.debug"):
                raise
            where = f": {exc.filename}" if exc.filename else ""
            click.echo(f"Error: {exc.strerror or exc}{where}; check the path and its permissions", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="gensynth")
@click.option("--debug", is_flag=True, help="Show full tracebacks for errors.")
@click.option("--strict", is_flag=True, help="Treat plugin failures as errors (for plugin authors).")
@click.pass_context
def cli(ctx: click.Context, debug: bool, strict: bool) -> None:
    """gensynth: train, sample and compare generative image models.

    Models come from plugins; `gensynth list-models` shows what is installed.
    """
    ctx.meta["gensynth.debug"] = debug or os.environ.get("GENSYNTH_DEBUG") == "1"
    if strict:
        os.environ["GENSYNTH_STRICT"] = "1"


def _register_commands() -> None:
    from gensynth.cli import (check, evaluate, install, listing, new_plugin, plugin_commands, reconstruct, sampling,
                              training, translate)

    for command in (listing.list_models, listing.info, plugin_commands.plugins, install.install, install.uninstall,
                    new_plugin.new_plugin, check.check, training.train, sampling.sample, reconstruct.reconstruct,
                    translate.translate, evaluate.evaluate):
        cli.add_command(command)


_register_commands()


def main() -> None:
    cli(prog_name="gensynth")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
