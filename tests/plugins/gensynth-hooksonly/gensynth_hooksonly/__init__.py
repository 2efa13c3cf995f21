"""A plugin that only watches runs: a lifecycle hook, nothing registered."""

import sys

from gensynth import hookimpl

GENSYNTH_API = ">=1,<2"


@hookimpl
def on_run_end(run, status):
    print(f"gensynth-hooksonly: run {run.model_id} ended: {status}", file=sys.stderr)
