"""The README's Quick start and tour, run line by line as a new user would, in a fresh folder.

The lines come from README.md itself (``readme_tour``), so the README cannot drift
from the CLI; the test only makes them cheap (training steps / 1000, one epoch of
256 MNIST images, evaluations on 300 samples). gensynth commands run in-process
(click's CliRunner, one torch import). Lines on MNIST skip when its files are absent,
and so do the lines that use their runs.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from gensynth.cli.main import cli
from readme_tour import GENSYNTH, README, commands_of, needs_mnist, option, python_snippet, section_blocks, shrink, tour

MNIST = Path(os.environ.get("GENSYNTH_TEST_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")) / "mnist"
SETUP = {"python3", ".venv/bin/pip"}  # the environment itself: .ci/run does exactly this


def run_dirs_named(args: list[str]) -> set[str]:
    """The run folders a command reads or writes (``runs/x`` arguments)."""
    return {a.rstrip("/") for a in args if a.startswith("runs/")} | {
        "/".join(a.split("/")[:2]) for a in args if a.startswith("runs/")}


def test_the_tour_runs_top_to_bottom_and_writes_only_under_runs(tmp_path, tmp_path_factory, monkeypatch):
    work = tmp_path / "clone"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("GENSYNTH_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    runner = CliRunner()
    mnist = MNIST if MNIST.is_dir() else None
    missing: set[str] = set()  # runs that skipped lines would have written
    ran, outputs = 0, {}
    for line in tour():
        for words in line.commands:
            program, args = words[0], words[1:]
            if program in SETUP:
                continue
            if program == "source":
                assert args == [".venv/bin/activate"], line.text
                continue
            if program == "tensorboard":  # a server: check that there is something for it to show
                assert list(Path(option(words, "--logdir")).rglob("events.out.tfevents.*")), line.text
                continue
            if program == "torchrun":  # several processes (GPUs): tests/test_distributed.py trains under torchrun
                module = args.index("-m")
                assert args[module + 1] == "gensynth", line.text
                parse(cli, args[module + 2:])
                continue
            assert program in GENSYNTH, f"the tour runs {program!r}, which this test does not know: {line.text}"
            if (needs_mnist(args) and mnist is None) or run_dirs_named(args) & missing:
                missing |= run_dirs_named(args)
                if args[0] == "train" and not option(args, "--out"):
                    missing.add("runs/<default>")
                continue
            result = runner.invoke(cli, shrink(args, mnist), terminal_width=120)
            assert result.exit_code == 0, f"{line.text}\n{result.output}"
            outputs[shlex.join(args)] = result.output
            ran += 1
            if args[0] == "train":
                where = re.search(r" into (\S+)\n", result.output)
                assert where, f"training did not say where it writes before it started:\n{result.output}"
                assert not option(args, "--out") or where.group(1) == option(args, "--out")
    assert ran >= 20
    strays = sorted(str(p.relative_to(work)) for p in work.iterdir() if p.name != "runs")
    assert not strays, f"the tour wrote outside runs/: {strays}"
    runs_listing = next(out for cmd, out in outputs.items() if cmd == "runs")
    assert "dcgan-1" in runs_listing and "completed" in runs_listing
    assert (work / "runs" / "report.html").stat().st_size > 10_000
    assert (work / "runs" / "dcgan-2" / "config.json").is_file()  # the two recipe lines did not collide


def test_the_python_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = re.sub(r"steps=(\d+)", lambda m: f"steps={max(1, int(m[1]) // 1000)}", python_snippet())
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)
    assert tuple(namespace["images"].shape) == (16, 1, 28, 28)
    assert Path(namespace["run"].dir).parent == Path("runs")


def parse(group: click.Group, args: list[str]) -> None:
    """Parse ``args`` as click would run them (unknown commands or options raise), without running anything."""
    command = group.get_command(click.Context(group), args[0])
    assert command is not None, f"no command {args[0]!r}"
    if isinstance(command, click.Group) and args[1:] and not args[1].startswith("-"):
        parse(command, args[1:])  # a subcommand (`plugins disable NAME`)
    else:
        command.make_context(args[0], args[1:]).close()


def test_every_gensynth_command_in_the_readme_parses():
    """Lines the tour test does not run (the plugin section: it installs packages) still name real options."""
    text = README.read_text()
    heading_blocks = [block for heading in re.findall(r"^## (.+)$", text, re.M)
                      for block in section_blocks(text, heading, "bash")]
    checked = 0
    for block in heading_blocks:
        for raw in block.splitlines():
            for words in commands_of(raw):
                if words[0] not in GENSYNTH:
                    continue
                parse(cli, words[1:])
                checked += 1
    assert checked >= 25

