"""Progress while training: plain lines off a terminal, evaluation results as they come, --quiet, the API's choice."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from gensynth import GensynthError, api
from gensynth._training import progress as progress_module
from gensynth._training.progress import BarProgress, LineProgress, Progress, clock, make_progress
from gensynth.cli.main import cli

TINY = ["--set", "hidden=8", "--set", "depth=1"]
LINE = re.compile(r"^gan:mlp-gan step (\d+)/40 \(\d+%\)  d=\S+ g=\S+ .*\S+ it/s  elapsed \d+:\d\d  ETA \d+:\d\d$")


def drive(progress, total, log_every, steps, losses=None):
    """Feed ``progress`` the hook calls the Trainer makes for ``steps`` of a ``total``-step run."""
    run = SimpleNamespace(model_id="m", step=0, total_steps=total, options=SimpleNamespace(log_every=log_every))
    progress.on_run_start(run)
    for step in steps:
        progress.on_step_end(run, step)
        if step % log_every == 0 or step == total:
            progress.on_log(run, step, losses or {})
    return run


def test_clock():
    assert (clock(5), clock(65), clock(3725)) == ("0:05", "1:05", "1:02:05")


def test_lines_come_every_tenth_of_the_run_and_at_the_end(monkeypatch):
    out = io.StringIO()
    drive(LineProgress(out, every_seconds=1e9), 100, 5, range(1, 101),
          {"loss/d": 1.0, "g/detail": 2.0, "lr/d": 1e-4})
    printed = out.getvalue().splitlines()
    assert [int(line.split()[2].split("/")[0]) for line in printed] == list(range(10, 101, 10))
    assert "d=1" in printed[0] and "detail" not in printed[0] and "lr" not in printed[0]
    assert printed[-1].startswith("m step 100/100 (100%)")


def test_a_line_on_a_logging_step_waits_for_that_steps_losses():
    out = io.StringIO()
    progress = LineProgress(out, every_seconds=1e9)
    run = drive(progress, 100, 10, range(1, 10), {"loss/d": 1.0})
    progress.on_step_end(run, 10)
    assert out.getvalue() == ""
    progress.on_log(run, 10, {"loss/d": 0.25})
    assert out.getvalue().startswith("m step 10/100 (10%)  d=0.25  ")


def test_lines_also_come_every_interval_on_a_slow_run(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(progress_module.time, "perf_counter", lambda: now[0])
    out = io.StringIO()
    lines = LineProgress(out, every_seconds=60)
    run = drive(lines, 1000, 1000, [])
    for step in range(1, 51):  # 50 steps of 10 s: no tenth of the run yet, a line every 60 s
        now[0] += 10
        lines.on_step_end(run, step)
    assert len(out.getvalue().splitlines()) == 8
    assert "0.1 it/s" in out.getvalue() and "ETA 2:38:40" in out.getvalue()


def test_choices():
    assert isinstance(make_progress("lines"), LineProgress) and isinstance(make_progress("bar"), BarProgress)
    assert type(make_progress(False)) is Progress and type(make_progress("none")) is Progress
    assert isinstance(make_progress("auto"), LineProgress)  # stderr is no terminal under pytest
    with pytest.raises(GensynthError, match="progress must be one of auto, bar, lines, none"):
        make_progress("loud")


def test_cli_off_a_terminal_prints_plain_lines_and_evaluations_as_they_come(tmp_path):
    out = tmp_path / "r"
    result = CliRunner().invoke(cli, ["train", "mlp-gan", "--data", "ring8", "--steps", "40", "--log-every", "4",
                                      "--eval-every", "20", "--eval-metrics", "mode_coverage", "--eval-samples", "100",
                                      "--out", str(out), *TINY])
    assert result.exit_code == 0, result.output
    text = result.output.splitlines()
    assert text[0] == f"gan:mlp-gan: training 40 steps on --data ring8 (batch 256, cpu, 1 CPU thread) into {out}"
    assert text[1] == "gan:mlp-gan: evaluating every 20 steps: mode_coverage against ring8, 100 generated samples"
    steps = [int(m.group(1)) for line in text if (m := LINE.match(line))]
    assert steps == list(range(4, 41, 4)), result.output
    evaluations = [line for line in text if " evaluation modes=" in line]
    assert [line.split()[2] for line in evaluations] == ["20:", "40:"]
    assert "high_quality=" in evaluations[0] and "reverse_kl=" in evaluations[0]
    assert text[-1].startswith("Trained gan:mlp-gan to step 40")


def test_quiet_prints_only_the_last_line(tmp_path):
    result = CliRunner().invoke(cli, ["train", "mlp-gan", "--data", "ring8", "--steps", "4", "--log-every", "1",
                                      "--eval-every", "2", "--eval-metrics", "mode_coverage", "--eval-samples", "100",
                                      "--out", str(tmp_path / "r"), "--quiet", *TINY])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"Trained gan:mlp-gan to step 4 in {tmp_path / 'r'} (samples in "
                                          f"{tmp_path / 'r'}/samples, TensorBoard: tensorboard --logdir {tmp_path / 'r'})"]


def test_the_api_prints_by_default_and_takes_the_same_choices(tmp_path, capfd):
    api.train("mlp-gan", "ring8", tmp_path / "a", steps=2, config={"hidden": 8, "depth": 1}, sample_every=2)
    err = capfd.readouterr().err
    assert "into " in err and "gan:mlp-gan step 2/2 (100%)" in err
    api.train("mlp-gan", "ring8", tmp_path / "b", steps=2, config={"hidden": 8, "depth": 1}, sample_every=2,
              progress="none")
    assert capfd.readouterr().err == ""


def test_the_bar_prints_notes_above_itself():
    from rich.console import Console

    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    bar = BarProgress(console)
    run = drive(bar, 10, 5, range(1, 6), {"loss/d": 0.5})
    bar.on_evaluation_done(run, 5, {"fid": 12.5, "kid": 0.01, "kid_std": 0.002})
    bar.on_run_end(run)
    assert "m step 5: evaluation fid=12.5 kid=0.01 ± 0.002" in console.file.getvalue()
