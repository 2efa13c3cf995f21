"""Training speed of ``dcgan`` (digits) and ``mlp-gan`` (ring8) with 1 and 2 CPU threads and gensynth's default,
on the machine as it is and beside one competing CPU-bound process that this script starts itself.

Each measurement is a fresh child process (``--child``) that imports gensynth, then trains ``--steps`` steps of
the model's default recipe on the CPU (``api.train(..., threads=T)``, no progress output, one preview and one
checkpoint at the end) and reports the wall time of the training loop alone (from ``on_run_start`` to
``on_run_end``) and the thread count it ran with. The settings alternate within each round, the same number of
rounds for each; the table gives the median seconds, steps per second, and each setting's time relative to the
fastest setting of that model and condition (the default must stay at or below 1.3).

    python benchmarks/threads.py [--rounds 3] [--dcgan-steps 150] [--mlp-steps 1000] [--models dcgan,mlp-gan]

Note ``uptime`` before and after: other work on the machine moves these figures; "quiet" means only what the
machine was doing anyway.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = {"dcgan": "digits", "mlp-gan": "ring8"}
SETTINGS = ("1", "2", "default")


def child(model: str, steps: int, threads: str) -> None:
    from gensynth import api, hookimpl

    class Clock:
        @hookimpl
        def on_run_start(self, run):
            self.began = time.perf_counter()

        @hookimpl
        def on_run_end(self, run, status):
            self.seconds = time.perf_counter() - self.began

    import torch

    clock = Clock()
    with tempfile.TemporaryDirectory() as folder:
        api.train(model, DATA[model], Path(folder) / "run", steps=steps, device="cpu", hooks=[clock],
                  threads=None if threads == "default" else int(threads), sample_every=steps,
                  checkpoint_every=steps)
    print(json.dumps({"seconds": clock.seconds, "threads": torch.get_num_threads()}))


def measure(model: str, steps: int, threads: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "GENSYNTH_THREADS")}
    done = subprocess.run([sys.executable, __file__, "--child", model, str(steps), threads], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def uptime() -> str:
    with open("/proc/loadavg") as f:
        return "load average " + ", ".join(f.read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dcgan-steps", type=int, default=150)
    parser.add_argument("--mlp-steps", type=int, default=1000)
    parser.add_argument("--models", default="dcgan,mlp-gan")
    parser.add_argument("--conditions", default="quiet,competing")
    parser.add_argument("--child", nargs=3, metavar=("MODEL", "STEPS", "THREADS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2])
        return
    steps = {"dcgan": args.dcgan_steps, "mlp-gan": args.mlp_steps}
    print(f"{os.cpu_count()} cores; {uptime()} at the start", flush=True)
    rows = []
    for condition in args.conditions.split(","):
        competitor = (subprocess.Popen([sys.executable, "-c", "while True: pass"])
                      if condition == "competing" else None)
        try:
            for model in args.models.split(","):
                times: dict[str, list[float]] = {s: [] for s in SETTINGS}
                used: dict[str, set[int]] = {s: set() for s in SETTINGS}
                for _ in range(args.rounds):
                    for setting in SETTINGS:
                        result = measure(model, steps[model], setting)
                        times[setting].append(result["seconds"])
                        used[setting].add(result["threads"])
                best = min(statistics.median(t) for t in times.values())
                for setting in SETTINGS:
                    median = statistics.median(times[setting])
                    rows.append((condition, model, setting, sorted(used[setting]), median, steps[model] / median,
                                 median / best))
                    print(f"{condition:<9} {model:<8} threads {setting:<7} (ran with {sorted(used[setting])}) "
                          f"{median:7.2f} s  {steps[model] / median:7.1f} it/s  x{median / best:.2f} of the best",
                          flush=True)
        finally:
            if competitor is not None:
                competitor.kill()
                competitor.wait()
    print(f"{uptime()} at the end")
    print("\n| condition | model | threads | ran with | median s | it/s | time / best |\n|---|---|---|---|---|---|---|")
    for condition, model, setting, ran, median, rate, ratio in rows:
        print(f"| {condition} | {model} | {setting} | {', '.join(map(str, ran))} | {median:.2f} | {rate:.1f} | "
              f"{ratio:.2f} |")


if __name__ == "__main__":
    main()
