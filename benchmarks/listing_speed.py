"""Cold wall time of `gensynth list-models` against `python -c "import torch"`, same session.

Each command runs in a fresh interpreter; the median of several runs is
reported with the ratio (machines are noisy: the ratio is the figure to
compare). Target: list-models at most 0.25 s on 2 cores.

    python benchmarks/listing_speed.py [--runs 7]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def wall_times(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - began)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    script = shutil.which("gensynth", path=str(Path(sys.executable).parent)) or shutil.which("gensynth")
    listing_cmd = [script, "list-models"] if script else [sys.executable, "-m", "gensynth", "list-models"]
    wall_times(listing_cmd, 1)  # warm the file cache, as any second use would
    listing = statistics.median(wall_times(listing_cmd, args.runs))
    torch_import = statistics.median(wall_times([sys.executable, "-c", "import torch"], args.runs))
    print(f"gensynth list-models      median {listing:.3f} s over {args.runs} runs")
    print(f"python -c 'import torch'  median {torch_import:.3f} s over {args.runs} runs")
    print(f"ratio list-models / import torch = {listing / torch_import:.3f}")
    print(f"target list-models <= 0.25 s: {'met' if listing <= 0.25 else 'NOT met'}")


if __name__ == "__main__":
    main()
