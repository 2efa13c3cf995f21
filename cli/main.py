"""The ``gensynth`` command group: torch-free until a command that needs it runs."""

from __future__ import annotations

import os
import re
import sys

import click

from gensynth._errors import GensynthError
from gensynth._naming import cli_spelling
from gensynth._training.processes import launched_rank, launched_world_size
from gensynth._version import __version__


def _placement() -> tuple[int, int]:
    """``(rank, world size)`` as torchrun set them; ``(0, 1)`` where they are not numbers (the error being
    reported may be just that)."""
    try:
        return launched_rank(), launched_world_size()
    except GensynthError:
        return 0, 1


def _error_prefix() -> str:
    """``Error``, naming the process under torchrun when it is not rank 0 (every process reports its own)."""
    rank, world = _placement()
    return f"Error (rank {rank} of {world})" if rank else "Error"


#: What torch.distributed's backends report when another process of the run is gone.
_LOST_PEER = ("Connection closed by peer", "Connection reset by peer", "gloo/transport", "NCCL communicator was aborted")


def _lost_peer(exc: RuntimeError) -> bool:
    """Whether ``exc`` is a collective failing because another process of a torchrun job stopped."""
    if _placement()[1] == 1:
        return False
    return "DistError" in {cls.__name__ for cls in type(exc).__mro__} or any(s in str(exc) for s in _LOST_PEER)


class _UsageLine(click.UsageError):
    """A usage error (exit 2) shown as one line like every other error, naming where the usage is."""

    def show(self, file=None) -> None:
        command = self.ctx.command_path if self.ctx else "gensynth"
        message = self.format_message().rstrip(".")
        hint = f" See '{command} --help'." if message.endswith("?") else f"; see '{command} --help'"
        click.echo(f"{_error_prefix()}: {message}{hint}", err=True)


#: click >= 8.2 raises this to show a bare group's help; click 8.1 has no such class.
_SHOWS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _one_line(exc: click.UsageError, ctx: click.Context | None) -> click.UsageError:
    """click's usage error as a :class:`_UsageLine`; a command called bare to show its help stays as it is."""
    return exc if isinstance(exc, _SHOWS_HELP) else _UsageLine(exc.format_message(), exc.ctx or ctx)


class _Group(click.Group):
    """Turns user-facing errors into one line and a non-zero exit (``--debug`` shows the traceback)."""

    def make_context(self, *args, **kwargs) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:  # the group's own options: ``gensynth --bogus``
            raise _one_line(exc, None) from None

    def invoke(self, ctx: click.Context):
        try:
            with cli_spelling():  # messages name command-line options, not Python arguments
                return super().invoke(ctx)
        except GensynthError as exc:
            if ctx.meta.get("gensynth.debug"):
                raise
            click.echo(f"{_error_prefix()}: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except click.UsageError as exc:  # a subcommand's unknown option, a value of the wrong type: click's words
            raise _one_line(exc, ctx) from None
        except OSError as exc:  # a file the user named cannot be written or read
            if ctx.meta.get("gensynth.debug"):
                raise
            where = f": {exc.filename}" if exc.filename else ""
            click.echo(f"{_error_prefix()}: {exc.strerror or exc}{where}; check the path and its permissions", err=True)
            ctx.exit(1)
        except RuntimeError as exc:
            if ctx.meta.get("gensynth.debug") or not _lost_peer(exc):
                raise
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            reason = re.sub(r"^\[[^\]]*\]\s*", "", first).split(". ")[0][:160]  # without gloo's source location
            click.echo(f"{_error_prefix()}: another process of this run stopped ({reason}); see its output and "
                       "torchrun's summary; the checkpoints written so far are intact: rerun with --resume", err=True)
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
    from gensynth.cli import (check, evaluate, install, listing, new_plugin, plugin_commands, reconstruct, report,
                              run_table, sampling, training, translate)

    for command in (listing.list_models, listing.info, plugin_commands.plugins, install.install, install.uninstall,
                    new_plugin.new_plugin, check.check, training.train, sampling.sample, reconstruct.reconstruct,
                    translate.translate, evaluate.evaluate, run_table.runs, report.report):
        cli.add_command(command)


_register_commands()


def main() -> None:
    cli(prog_name="gensynth")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
