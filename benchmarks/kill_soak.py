"""Kill -9 soak: a run killed at random moments and resumed each time ends exactly like one that ran through.

One tiny DCGAN on ``digits`` (frequent checkpoints and sample grids, so kills
land inside writes) is trained twice with the same command: straight through
into ``straight/``, and into ``killed/`` by processes that are each killed with
SIGKILL after a random delay (seeded) and restarted with ``--resume``, until
``--kills`` kills, after which the last one runs to the end. One kill in four
comes during start-up (a delay from the process's start, up to the straight
run's time to its first checkpoint); the others come while the process trains
(a delay from the moment it has accepted the start and written ``config.json``,
up to ten checkpoint intervals), so
kills land in checkpoint, config and sample writes. After every kill the script
checks the run directory:

* corrupt files: ``config.json`` must parse, every complete checkpoint folder
  must load, ``model.safetensors`` and every sample grid must open;
* stale temporaries: what the kill left half-written (``.NAME.*.tmp`` files,
  ``.step-*.tmp`` folders), which the next start must remove;
* the lock: the killed owner's pid stays in ``.lock``, and the next start must take it over.

Once, while a process trains, a second writer is started on the same folder: it
must be refused with one line naming the owner. At the end the final weights and
the whole training state (optimizers, schedulers, RNG, step) of both runs must be
bit-identical, and no temporary file may be left.

    OMP_NUM_THREADS=1 python benchmarks/kill_soak.py [--kills 24] [--steps 1000] [--seed 0] [--max-delay SECONDS]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image
from safetensors.torch import load_file

from gensynth._training.rundir import RunDir

CHECKPOINT_EVERY = 5
TRAIN = ["train", "dcgan", "--data", "digits", "--set", "g_width=8", "--set", "d_width=8", "--set", "latent_dim=16",
         "--batch-size", "16", "--device", "cpu", "--quiet", "--checkpoint-every", str(CHECKPOINT_EVERY),
         "--sample-every", "3", "--keep-checkpoints", "2", "--log-every", "5"]


def gensynth(*args: str) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GENSYNTH_DEBUG": "0"}
    return subprocess.Popen([sys.executable, "-m", "gensynth", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def temporaries(run: Path) -> list[Path]:
    return [p for p in run.rglob(".*") if p.name.endswith(".tmp")]


def owner(run: Path) -> int | None:
    """The pid in the run's lock file (its owner, or the last one killed), if any."""
    try:
        return json.loads((run / ".lock").read_text()).get("pid")
    except (OSError, ValueError):
        return None


def wrote_config(run: Path, since: float) -> bool:
    """Whether ``config.json`` was written after ``since`` (a start writes it once it is accepted)."""
    try:
        return (run / "config.json").stat().st_mtime >= since
    except OSError:
        return False


def second_writer(command: list[str], run: Path, proc: subprocess.Popen) -> str:
    """Start another writer of ``run`` while ``proc`` owns it; its one-line refusal, or "" if it was not refused."""
    deadline = time.monotonic() + 120
    while owner(run) != proc.pid and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    second = gensynth(*command, "--out", str(run), "--resume")
    _, err = second.communicate()
    lines = err.strip().splitlines()
    refused = second.returncode == 1 and len(lines) == 1 and f"process {proc.pid} " in lines[0]
    return lines[0] if refused else ""


def corrupt_files(run: Path) -> list[str]:
    """Files of the run that a reader cannot use."""
    bad = []
    rundir = RunDir(run)
    if rundir.config_path.exists():
        try:
            json.loads(rundir.config_path.read_text())
        except ValueError:
            bad.append(str(rundir.config_path))
    if rundir.weights_path.exists():
        try:
            load_file(str(rundir.weights_path))
        except Exception:  # noqa: BLE001 - any failure to read is what is counted
            bad.append(str(rundir.weights_path))
    for _, folder in rundir.checkpoints():
        try:
            rundir.load_checkpoint(folder)
        except Exception:  # noqa: BLE001
            bad.append(str(folder))
    for grid in rundir.samples_dir.glob("*.png") if rundir.samples_dir.is_dir() else []:
        try:
            Image.open(grid).load()
        except Exception:  # noqa: BLE001
            bad.append(str(grid))
    return bad


def final_state(run: Path) -> tuple[dict[str, torch.Tensor], dict]:
    rundir = RunDir(run)
    step, folder = rundir.latest_checkpoint()
    return load_file(str(rundir.weights_path)), rundir.load_checkpoint(folder)[1]


def same(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=24)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill delays")
    parser.add_argument("--max-delay", type=float,
                        help="delays of the kills during training are uniform in [0, this] seconds after the process "
                             "has started training [default: ten checkpoint intervals of the straight run]")
    parser.add_argument("--out", type=Path, help="folder for the two runs [default: a temporary folder]")
    args = parser.parse_args()
    root = args.out or Path(tempfile.mkdtemp(prefix="gensynth-soak-"))
    shutil.rmtree(root / "straight", ignore_errors=True)
    shutil.rmtree(root / "killed", ignore_errors=True)
    command = [*TRAIN, "--steps", str(args.steps)]
    print(f"kill -9 soak: {args.kills} kills, {args.steps} steps (seed {args.seed}); load average "
          f"{os.getloadavg()[0]:.1f}; {root}")

    began = time.perf_counter()
    straight = gensynth(*command, "--out", str(root / "straight"))
    while not RunDir(root / "straight").checkpoints() and straight.poll() is None:
        time.sleep(0.05)
    first_checkpoint = time.perf_counter() - began
    _, err = straight.communicate()
    assert straight.returncode == 0, err
    total = time.perf_counter() - began
    interval = (total - first_checkpoint) / (args.steps / CHECKPOINT_EVERY - 1)
    max_delay = args.max_delay or 10 * interval
    print(f"straight run: {total:.0f} s, first checkpoint after {first_checkpoint:.1f} s, then one every "
          f"{interval:.2f} s; kills: 1 in 4 uniform in [0, {first_checkpoint:.1f}] s from the start, the others "
          f"uniform in [0, {max_delay:.1f}] s from when the process starts training")

    rng = random.Random(args.seed)
    killed_dir = root / "killed"
    counts = {"kills": 0, "kills that left temporaries": 0, "kills before the first checkpoint": 0,
              "stale temporaries found after kills": 0, "lock takeovers": 0, "corrupt files": 0, "starts": 0,
              "second writers refused": 0}
    refusal = ""
    began = time.perf_counter()
    while True:
        latest = RunDir(killed_dir).latest_checkpoint()
        if latest and latest[0] == args.steps:
            break  # killed after its last checkpoint: the run is complete
        stale_lock = (killed_dir / ".lock").exists()  # left by the killed owner, with its pid
        spawned = time.time()
        proc = gensynth(*command, "--out", str(killed_dir), "--resume")
        counts["starts"] += 1
        if counts["kills"] < args.kills:
            if counts["kills"] == args.kills // 2 and not counts["second writers refused"]:
                refusal = second_writer(command, killed_dir, proc)
                counts["second writers refused"] += bool(refusal)
            if counts["kills"] % 4 == 0:
                deadline = time.monotonic() + rng.uniform(0, first_checkpoint)
            else:  # once this process has accepted the start (it writes config.json then) and trains
                while not wrote_config(killed_dir, spawned) and proc.poll() is None:
                    time.sleep(0.01)
                deadline = time.monotonic() + rng.uniform(0, max_delay)
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
        if counts["kills"] >= args.kills or proc.poll() is not None:
            _, err = proc.communicate()
            assert proc.returncode == 0, err
            counts["lock takeovers"] += stale_lock
            break
        took_over = stale_lock and owner(killed_dir) == proc.pid
        proc.kill()
        proc.wait()
        counts["kills"] += 1
        counts["lock takeovers"] += took_over
        stale = temporaries(killed_dir)
        counts["stale temporaries found after kills"] += len(stale)
        counts["kills that left temporaries"] += bool(stale)
        counts["kills before the first checkpoint"] += not RunDir(killed_dir).checkpoints()
        bad = corrupt_files(killed_dir)
        counts["corrupt files"] += len(bad)
        if bad:
            print("corrupt:", bad)
    elapsed = time.perf_counter() - began

    weights_a, state_a = final_state(root / "straight")
    weights_b, state_b = final_state(killed_dir)
    identical = same(weights_a, weights_b) and same(state_a, state_b)
    left = temporaries(killed_dir)
    print(f"killed run: {elapsed:.0f} s")
    for name, value in counts.items():
        print(f"{name}: {value}")
    print(f"second writer's message: {refusal}")
    print(f"temporaries left at the end: {len(left)}")
    print(f"final weights and training state bit-identical to the straight run: {identical} "
          f"(step {state_b['step']} of {args.steps})")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if not identical or left or counts["corrupt files"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
