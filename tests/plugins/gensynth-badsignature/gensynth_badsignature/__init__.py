"""A plugin whose lifecycle hook asks for an argument the hook does not pass."""

from gensynth import hookimpl

GENSYNTH_API = ">=1"


@hookimpl
def on_run_end(run, status, outcome):
    pass
