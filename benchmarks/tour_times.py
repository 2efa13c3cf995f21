"""How long each line of the README tour takes, in CPU seconds of one thread, extrapolated from two short passes.

The tour (parsed out of README.md, as ``tests/test_readme_tour.py`` does) runs twice
in fresh folders, each gensynth command as its own process with ``GENSYNTH_THREADS=1``:
pass 1 with every training's ``--steps`` (and ``--eval-every``) divided by ``--divisor``,
pass 2 by half of it; an ``--epochs`` run is turned into its number of steps first
(MNIST test set: 10,000 images). Each command's CPU time (user + system, from
``wait4``) is measured, imports and data loading included. A line that trains is
extrapolated linearly to its full length (``t1 + (t2 - t1) * (1 - f1) / (f2 - f1)``, the
intercept being its fixed costs: start-up, data, evaluations, the last checkpoint);
any other line takes the mean of the two passes.

One thread's CPU seconds are about the wall time on a quiet 2-core machine (where the
default two threads are at most a little faster) and hold up under load far better than
wall times do, which is why this measures them.

    python benchmarks/tour_times.py [--divisor 20] [--data ../shared/data] [--only PATTERN]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from readme_tour import GENSYNTH, option, shrink, tour  # noqa: E402

MNIST_IMAGES = 10_000
DEFAULT_BATCH = 64


def epochs_as_steps(args: list[str]) -> list[str]:
    """``--epochs E`` on MNIST as ``--steps`` (E passes over its 10,000 images in batches of 64)."""
    if args[0] != "train" or not option(args, "--epochs"):
        return args
    steps = int(option(args, "--epochs")) * math.ceil(MNIST_IMAGES / int(option(args, "--batch-size") or DEFAULT_BATCH))
    index = args.index("--epochs")
    return args[:index] + ["--steps", str(steps)] + args[index + 2:]


def cpu_seconds(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    stderr = process.stderr.read()
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {shlex.join(command)}\n{stderr[-3000:]}")
    return usage.ru_utime + usage.ru_stime


def run_pass(divisor: float, mnist: Path, only: str | None) -> dict[str, float]:
    """CPU seconds of each tour line (by its README text) with training shortened by ``divisor``."""
    gensynth = str(Path(sys.executable).with_name("gensynth"))
    env = {**os.environ, "GENSYNTH_THREADS": "1", "OMP_NUM_THREADS": "1", "COLUMNS": "120"}
    env["GENSYNTH_CACHE_DIR"] = tempfile.mkdtemp(prefix="tour-cache-")  # the evaluation trains its classifier
    folder = Path(tempfile.mkdtemp(prefix="tour-"))
    times = {}
    for line in tour():
        if line.section != "A short tour":
            continue
        total = 0.0
        for words in line.commands:
            if words[0] not in GENSYNTH:
                continue
            args = shrink(epochs_as_steps(words[1:]), mnist, divisor, cheap=False)
            total += cpu_seconds([gensynth, *args], folder, env)
        if total and (only is None or re.search(only, line.text)):
            times[line.text] = total
            print(f"  1/{divisor:g}: {total:7.1f} s  {line.text}", flush=True)
    return times


def trains(text: str) -> bool:
    return " train " in f" {text} "


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--divisor", type=float, default=20.0, help="pass 1 trains 1/DIVISOR of the steps, pass 2 twice that")
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--only", help="report only the lines matching this regular expression")
    args = parser.parse_args()
    mnist = args.data / "mnist"
    if not mnist.is_dir():
        raise SystemExit(f"MNIST not found in {mnist}: pass --data")
    with open("/proc/loadavg") as f:
        print(f"load average {' '.join(f.read().split()[:3])} at the start, {time.strftime('%Y-%m-%d %H:%M')}")
    f1, f2 = 1 / args.divisor, 2 / args.divisor
    first = run_pass(args.divisor, mnist, args.only)
    second = run_pass(args.divisor / 2, mnist, args.only)
    print("\n| line | CPU s (1 thread), extrapolated |\n|---|---|")
    total = 0.0
    for text, t1 in first.items():
        t2 = second[text]
        full = t1 + (t2 - t1) * (1 - f1) / (f2 - f1) if trains(text) else (t1 + t2) / 2
        total += full
        print(f"| `{text.split('#')[0].strip()}` | {full:.0f} |")
    print(f"| all | {total:.0f} |")
    with open("/proc/loadavg") as f:
        print(f"load average {' '.join(f.read().split()[:3])} at the end")


if __name__ == "__main__":
    main()
