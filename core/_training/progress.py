"""What training prints while it runs: a rich progress bar on a terminal, plain lines anywhere else.

A progress form is a built-in consumer of the run's lifecycle hooks (:mod:`gensynth._discovery.hookspecs`):
the Trainer registers it as the first of the run's own hook objects (:mod:`gensynth._training.hooks`), so it
sees what any plugin sees, in rank 0 only under torchrun, and a failure in it is a warning, never a lost run.
``on_run_start`` starts it, ``on_step_end`` advances it, ``on_log`` gives it the latest mean losses,
``on_evaluation_done`` prints the values as they come and ``on_run_end`` closes it. :meth:`Progress.note`
prints a message (``api.train`` says where the run writes before it starts). Output goes to stderr, so
stdout stays clean for what a command prints as its result.

``progress=`` (of ``api.train`` and the Trainer) chooses the form:

- ``"auto"`` or ``True``: the bar when stderr is a terminal or a notebook, else lines;
- ``"bar"``: the rich bar; ``"lines"``: plain lines; ``"none"`` or ``False``: nothing;
- or a :class:`Progress` instance.

Plain lines are meant for log files (nohup, CI, SLURM, ``| tee``): one every :data:`LINE_SECONDS` seconds or
every tenth of the run, whichever comes first, and one at the end, each with step/total, the latest mean
losses, the rate and the time left.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

from gensynth._discovery.hookspecs import hookimpl
from gensynth._evaluation.describe import value_rows

#: Plain progress lines come at least this often (seconds) ...
LINE_SECONDS = 60.0
#: ... and at every such fraction of the run.
LINE_FRACTION = 0.1
CHOICES = ("auto", "bar", "lines", "none")


def clock(seconds: float) -> str:
    """``H:MM:SS`` (``M:SS`` under an hour)."""
    seconds = int(round(max(seconds, 0)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def phase_losses(metrics: dict[str, float]) -> dict[str, float]:
    """The phase losses among the logged scalars (``loss/d`` -> ``d``); the rest is detail for TensorBoard."""
    return {name[len("loss/"):]: value for name, value in metrics.items() if name.startswith("loss/")}


def format_losses(losses: dict[str, float]) -> str:
    """``d=1.23 g=0.876``."""
    return " ".join(f"{k}={v:.4g}" for k, v in losses.items())


def format_values(values: dict[str, float]) -> str:
    """Evaluation values as ``name=value`` pairs, a spread as ``± s``."""
    return " ".join(f"{name}={value:.4g}" + (f" ± {spread:.2g}" if spread is not None else "")
                    for name, value, spread in value_rows(values))


def logs_at(run: Any, step: int) -> bool:
    """Whether the Trainer logs (calls ``on_log``) after ``step``."""
    return step % run.options.log_every == 0 or step == run.total_steps


class Progress:
    """Prints nothing; the base of the other forms, keeping what they print."""

    def __init__(self) -> None:
        self.name, self.first, self.step, self.total = "train", 0, 0, 0
        self.began = time.perf_counter()
        self.losses: dict[str, float] = {}

    # -- the run's events ------------------------------------------------------------

    @hookimpl
    def on_run_start(self, run: Any) -> None:
        self.name, self.first, self.step, self.total = run.model_id or "train", run.step, run.step, run.total_steps
        self.began = time.perf_counter()
        self.started()

    @hookimpl
    def on_step_end(self, run: Any, step: int) -> None:
        self.step = step
        self.advanced(logs_at(run, step))

    @hookimpl
    def on_log(self, run: Any, step: int, metrics: dict[str, float]) -> None:
        self.losses = phase_losses(metrics)
        self.logged()

    @hookimpl
    def on_evaluation_done(self, run: Any, step: int, results: dict[str, float]) -> None:
        self.note(f"{self.name} step {step}: evaluation {format_values(results)}")

    @hookimpl
    def on_run_end(self, run: Any) -> None:
        self.close()

    # -- what the forms print ----------------------------------------------------------

    def started(self) -> None:
        """The run started or resumed at ``self.step``."""

    def advanced(self, losses_follow: bool) -> None:
        """A step finished; with ``losses_follow``, its ``on_log`` comes next."""

    def logged(self) -> None:
        """``self.losses`` are new."""

    def note(self, text: str) -> None:
        """A message such as where the run writes or an evaluation's values."""

    def close(self) -> None:
        pass

    def rate(self) -> float:
        """Steps per second since the run started."""
        return (self.step - self.first) / max(time.perf_counter() - self.began, 1e-9)

    def remaining(self) -> str:
        rate = self.rate()
        return clock((self.total - self.step) / rate) if rate > 0 else "?"


class LineProgress(Progress):
    """Plain lines on ``stream`` (stderr), few enough for a log file."""

    def __init__(self, stream: IO[str] | None = None, every_seconds: float = LINE_SECONDS,
                 every_fraction: float = LINE_FRACTION) -> None:
        super().__init__()
        self.stream = stream
        self.every_seconds, self.every_fraction = every_seconds, every_fraction
        self._last_time, self._last_step, self._pending = self.began, 0, False

    def started(self) -> None:
        self._last_time, self._last_step, self._pending = self.began, self.step, False

    def advanced(self, losses_follow: bool) -> None:
        now = time.perf_counter()
        tenth = max(1, int(self.total * self.every_fraction))
        due = (now - self._last_time >= self.every_seconds or self.step // tenth > self._last_step // tenth
               or self.step == self.total)
        if due and self.step > self._last_step:
            self._pending = losses_follow  # printed by logged(), with this step's losses
            if not losses_follow:
                self._line()

    def logged(self) -> None:
        if self._pending:
            self._pending = False
            self._line()

    def _line(self) -> None:
        now = time.perf_counter()
        self._last_time, self._last_step = now, self.step
        losses = format_losses(self.losses)
        self.note(f"{self.name} step {self.step}/{self.total} ({self.step / self.total:.0%})"
                  + (f"  {losses}" if losses else "")
                  + f"  {self.rate():.3g} it/s  elapsed {clock(now - self.began)}  ETA {self.remaining()}")

    def note(self, text: str) -> None:
        print(text, file=self.stream or sys.stderr, flush=True)


class BarProgress(Progress):
    """The rich progress bar (step/total, losses, it/s, elapsed, ETA); notes print above it."""

    def __init__(self, console: Any = None) -> None:
        super().__init__()
        self.console = console
        self._bar: Any = None

    def started(self) -> None:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        self.close()
        self._bar = Bar(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[losses]}"), TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(), TimeRemainingColumn(), console=self._console(), refresh_per_second=4,
        )
        self._task = self._bar.add_task(self.name, total=self.total, completed=self.step, losses="", rate="")
        self._bar.start()

    def advanced(self, losses_follow: bool) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=self.step)

    def logged(self) -> None:
        if self._bar is not None:
            self._bar.update(self._task, losses=format_losses(self.losses), rate=f"{self.rate():.1f} it/s")

    def note(self, text: str) -> None:
        from rich.markup import escape

        console = self._bar.console if self._bar is not None else self._console()
        console.print(escape(text), highlight=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def _console(self) -> Any:
        if self.console is None:
            from rich.console import Console

            self.console = Console(stderr=True)
        return self.console


def make_progress(choice: bool | str | Progress | None) -> Progress:
    """The form ``choice`` names (see the module docstring)."""
    if isinstance(choice, Progress):
        return choice
    if choice is True or choice == "auto":
        from rich.console import Console

        console = Console(stderr=True)
        return BarProgress(console) if console.is_terminal or console.is_jupyter else LineProgress()
    if choice == "bar":
        return BarProgress()
    if choice == "lines":
        return LineProgress()
    if choice in (False, None, "none"):
        return Progress()
    from gensynth._errors import GensynthError

    raise GensynthError(f"progress must be one of {', '.join(CHOICES)}, True or False, got {choice!r}")
