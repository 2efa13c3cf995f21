"""Exact-resume tests' shared step: a run stopped by Ctrl-C at one step, then resumed to its end."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from gensynth import api, hookimpl
from gensynth._errors import TrainingInterrupted


class CtrlCAt:
    """Lifecycle hook that presses Ctrl-C once training reaches ``step``."""

    def __init__(self, step: int) -> None:
        self.step = step

    @hookimpl
    def on_step_end(self, step):
        if step == self.step:
            os.kill(os.getpid(), signal.SIGINT)


def train_interrupted_then_resumed(model: str, data: Any, out: Path, *, steps: int, stop_at: int,
                                   **options: Any) -> None:
    """Train ``model`` into ``out`` for ``steps`` steps, interrupted by Ctrl-C at ``stop_at`` and resumed."""
    with pytest.raises(TrainingInterrupted, match=f"interrupted at step {stop_at}"):
        api.train(model, data, out, steps=steps, hooks=[CtrlCAt(stop_at)], **options)
    api.train(model, data, out, steps=steps, resume=True, **options)
