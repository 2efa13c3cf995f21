"""The README's commands, parsed out of README.md itself, and made small enough to run in a test.

Used by ``tests/test_readme_tour.py`` (every line, tiny step counts) and by
``benchmarks/tour_times.py`` (the expected time of each line). A *line* is one
line of the Quick start or the tour's bash block; it holds one or more commands
joined by ``&&``; a command is its words after ``shlex`` (comments dropped).
"""

from __future__ import annotations

import dataclasses
import re
import shlex
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
GENSYNTH = {"gensynth", ".venv/bin/gensynth"}
#: Training steps are divided by this in a test (2000 -> 2), keeping their ratios (a resume still continues).
STEP_DIVISOR = 1000


@dataclasses.dataclass
class Line:
    section: str
    text: str
    commands: list[list[str]]


def section_blocks(text: str, heading: str, language: str) -> list[str]:
    """The ```language fenced blocks of the ``## heading`` section."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    if not match:
        raise AssertionError(f"README.md has no section '## {heading}'")
    return re.findall(rf"^```{language}\n(.*?)^```", match.group(1), re.S | re.M)


def commands_of(line: str) -> list[list[str]]:
    words = shlex.split(line, comments=True)
    commands, current = [], []
    for word in words:
        if word == "&&":
            commands.append(current)
            current = []
        else:
            current.append(word)
    return [c for c in commands + [current] if c]


def tour(readme: Path = README) -> list[Line]:
    """The Quick start's line, then every line of the tour's bash block, in order."""
    text = readme.read_text()
    lines = []
    for section in ("Quick start", "A short tour"):
        block = section_blocks(text, section, "bash")[0]
        lines += [Line(section, raw, commands_of(raw)) for raw in block.splitlines() if raw.strip()]
    return lines


def python_snippet(readme: Path = README) -> str:
    """The tour's Python example."""
    return section_blocks(readme.read_text(), "A short tour", "python")[0]


def option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args[:-1] else None


def replace_option(args: list[str], name: str, value: str) -> list[str]:
    out = list(args)
    out[out.index(name) + 1] = value
    return out


def shrink(args: list[str], mnist: Path | None, divisor: float = STEP_DIVISOR, cheap: bool = True) -> list[str]:
    """A gensynth command made smaller: training steps and evaluation intervals divided by ``divisor`` and
    MNIST paths pointed at ``mnist``. With ``cheap`` (the test), also an ``--epochs`` run reduced to one
    epoch and MNIST to 256 images, and an evaluation on few samples with a quickly trained classifier."""
    args = list(args)
    mnist_spec = f"mnist:{mnist}" if mnist else None
    args = [a.replace("mnist:../shared/data/mnist", mnist_spec) if mnist_spec else a for a in args]
    if args[0] == "train":
        for name in ("--steps", "--eval-every"):
            if option(args, name):
                args = replace_option(args, name, str(max(1, round(int(option(args, name)) / divisor))))
        if cheap and option(args, "--epochs"):
            args = replace_option(args, "--epochs", "1")
        if cheap and mnist_spec:
            args = [f"{a}@:256" if a == mnist_spec else a for a in args]
    if cheap and args[0] == "evaluate":
        args += ["--num-samples", "300", "--param", "kid.subset_size=100", "--extractor-option", "steps=30"]
    return args


def needs_mnist(args: list[str]) -> bool:
    return any("mnist:" in a for a in args)
