"""CPU threads: --threads / GENSYNTH_THREADS, the load-based default, and what a run records and keeps on resume."""

from __future__ import annotations

import io
import json

import pytest
import torch
from click.testing import CliRunner

from gensynth import GensynthError, api
from gensynth._training import threads
from gensynth._training.progress import LineProgress
from gensynth.cli.main import cli

TINY = {"hidden": 8, "depth": 1}


@pytest.fixture(autouse=True)
def keep_torch_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_explicit_count_beats_the_environment_which_beats_the_default(monkeypatch):
    monkeypatch.setenv("GENSYNTH_THREADS", "3")
    assert threads.choose_threads(2) == 2
    assert threads.choose_threads(None) == 3
    monkeypatch.delenv("GENSYNTH_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert threads.choose_threads(None) is None  # the user already chose torch's count
    monkeypatch.delenv("OMP_NUM_THREADS")
    monkeypatch.setattr(threads, "default_threads", lambda: 7)
    assert threads.choose_threads(None) == 7


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_count_is_one_line(monkeypatch, value):
    monkeypatch.setenv("GENSYNTH_THREADS", value)
    with pytest.raises(GensynthError, match="GENSYNTH_THREADS must be a whole number of threads, at least 1"):
        threads.choose_threads(None)


@pytest.mark.parametrize("idle,cores,expected", [
    (2.0, 2, 2),    # a quiet 2-core machine: both
    (1.9, 2, 2),    # nearly idle counts as idle
    (1.0, 2, 1),    # one competing CPU-bound process: one
    (1.6, 2, 1),    # a core busy a third of the time is not free
    (0.0, 2, 1),    # never fewer than one
    (30.5, 8, 8),   # never more than the usable cores
])
def test_the_default_takes_the_idle_cores_rounded_down(monkeypatch, idle, cores, expected):
    monkeypatch.setattr(threads, "idle_cores", lambda window=0: idle)
    monkeypatch.setattr(threads, "usable_cores", lambda: cores)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    assert threads.default_threads() == expected


def test_processes_launched_together_share_the_idle_cores(monkeypatch):
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    monkeypatch.setattr(threads, "idle_cores", lambda window=0: 8.0)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "4")
    assert threads.usable_cores() == 2 and threads.default_threads() == 2


def test_idle_cores_reads_the_kernel_counters():
    idle = threads.idle_cores(window=0.05)
    assert idle is None or 0 <= idle <= len(threads.os.sched_getaffinity(0)) + 1e-9


def test_training_records_its_threads_and_a_resume_keeps_them(tmp_path, monkeypatch):
    out = tmp_path / "run"
    api.train("mlp-gan", "ring8", out, steps=2, threads=2, config=TINY, progress="none", sample_every=2)
    assert json.loads((out / "config.json").read_text())["training"]["threads"] == 2
    monkeypatch.delenv("GENSYNTH_THREADS")
    monkeypatch.setattr(threads, "default_threads", lambda: 1)
    api.train("mlp-gan", "ring8", out, steps=3, config=TINY, progress="none", resume=True, extend=True, sample_every=3)
    assert torch.get_num_threads() == 2  # the run's count, not today's default: the same bits
    printed = io.StringIO()
    api.train("mlp-gan", "ring8", out, steps=4, config=TINY, resume=True, extend=True, threads=1, sample_every=4,
              progress=LineProgress(printed))
    assert "trained with 2 CPU threads and continues with 1" in printed.getvalue()


def test_cli_threads_option_and_environment(tmp_path, monkeypatch):
    runner = CliRunner()
    result = runner.invoke(cli, ["train", "mlp-gan", "--data", "ring8", "--steps", "1", "--threads", "1",
                                 "--out", str(tmp_path / "a"), "--set", "hidden=8", "--set", "depth=1"])
    assert result.exit_code == 0, result.output
    assert "cpu, 1 CPU thread)" in result.output
    result = runner.invoke(cli, ["train", "mlp-gan", "--data", "ring8", "--steps", "1", "--threads", "0",
                                 "--out", str(tmp_path / "b")])
    assert result.exit_code == 2 and "--threads" in result.output

