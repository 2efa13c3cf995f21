"""Cold wall time of `gensynth list-models` against `python -c "import torch"`, same session.

Each command runs in a fresh interpreter; the scenarios take turns (one run of each per
round) and the median of each is reported with its ratio to `import torch` (machines are
noisy: the ratio is the figure to compare). Target: list-models at most 0.25 s on 2 cores.

Scenarios:

* ``built-ins``: only gensynth's own plugins;
* ``third-party, verdicts cached``: the test plugins of ``tests/plugins`` that fight over
  names or attack the process (``hangimport`` never finishes importing, ``osexitimport``
  calls ``os._exit(0)``) next to well-behaved ones, installed in a site folder; the
  child-process probe's verdicts are already cached (the state after ``gensynth install``,
  ``gensynth plugins`` or any earlier listing);
* ``third-party, no verdicts``: the same without ``hangimport`` (whose probe waits for the
  time limit) and with an empty cache folder each run: the price of the one probe that
  follows an install done with plain pip.

With ``--baseline GENSYNTH`` (another checkout's ``gensynth`` script, e.g. main's), that
one lists too, with built-ins only and with the well-behaved third-party plugins (it would
hang on the hostile ones), next to this checkout doing the same.

    python benchmarks/listing_speed.py [--runs 7] [--baseline ../main/.venv/bin/gensynth]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLUGINS = Path(__file__).resolve().parent.parent / "tests" / "plugins"
BEHAVED = ["gensynth-goodplugin", "gensynth-dupname", "gensynth-impostor"]
HOSTILE = [*BEHAVED, "gensynth-osexitimport", "gensynth-hangimport"]


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, the command and its children) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


SCREEN_COST = """
import time
from gensynth._discovery.loader import PluginRecord, entry_points
from gensynth._discovery.probe_cache import screen
pending = [(ep, PluginRecord(ep.name, ep.dist.name, ep.dist.version, ep.value, builtin=False))
           for ep in entry_points() if ep.dist.name != "gensynth"]
screen(pending)
began = time.perf_counter()
for _ in range(200):
    screen(pending)
print(f"{(time.perf_counter() - began) / 200 * 1000:.2f} ms for {len(pending)} third-party plugins")
"""


def site_with(folder: Path, packages: list[str]) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
                    "--target", str(folder), *(str(PLUGINS / p) for p in packages)], check=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", metavar="GENSYNTH", help="another checkout's gensynth script to compare with")
    args = parser.parse_args()
    script = shutil.which("gensynth", path=str(Path(sys.executable).parent)) or shutil.which("gensynth")
    listing = [script, "list-models"] if script else [sys.executable, "-m", "gensynth", "list-models"]
    base = {k: v for k, v in os.environ.items() if not k.startswith("GENSYNTH_")} | {"OMP_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory(prefix="gensynth-listing-") as tmp:
        root = Path(tmp)
        hostile = site_with(root / "hostile", HOSTILE)
        probed = site_with(root / "probed", HOSTILE[:-1])
        behaved = site_with(root / "behaved", BEHAVED)
        warm = {**base, "PYTHONPATH": str(hostile), "GENSYNTH_CACHE_DIR": str(root / "warm"),
                "GENSYNTH_PLUGIN_TIMEOUT": "5"}
        scenarios = {
            "list-models, built-ins only": (listing, {**base, "GENSYNTH_CACHE_DIR": str(root / "builtin")}),
            "list-models, third-party, verdicts cached": (listing, warm),
            "list-models, third-party, no verdicts": (listing, None),
            "python -c 'import torch'": ([sys.executable, "-c", "import torch"], base),
        }
        if args.baseline:
            calm = {**base, "PYTHONPATH": str(behaved), "GENSYNTH_CACHE_DIR": str(root / "calm")}
            scenarios.update({
                "list-models, well-behaved third-party, cached": (listing, calm),
                "baseline list-models, built-ins only": ([args.baseline, "list-models"], base),
                "baseline list-models, well-behaved third-party": ([args.baseline, "list-models"], calm),
            })
            timed(listing, calm)
        timed(listing, warm)  # fills the cache (waits 5 s for hangimport) and warms the file cache
        walls: dict[str, list[float]] = {name: [] for name in scenarios}
        cpus: dict[str, list[float]] = {name: [] for name in scenarios}
        for run in range(args.runs):
            for name, (command, env) in scenarios.items():
                if env is None:  # a fresh cache folder: one probe in a child process, then the listing
                    env = {**base, "PYTHONPATH": str(probed), "GENSYNTH_CACHE_DIR": str(root / f"cold{run}")}
                wall, cpu = timed(command, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
        screen_cost = subprocess.run([sys.executable, "-c", SCREEN_COST], env=warm, check=True, capture_output=True,
                                     text=True).stdout.strip()
    torch_import = statistics.median(walls["python -c 'import torch'"])
    print(f"medians over {args.runs} runs: wall s, CPU s (user + system), wall ratio to import torch")
    for name in scenarios:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(f"{name:<48} wall {wall:.3f}  cpu {cpu:.3f}  ratio {wall / torch_import:.3f}")
    print(f"in-process screen() on cached verdicts (stamps + one JSON read), per listing: {screen_cost}")
    ours = [n for n in scenarios if n.startswith("list-models") and "no verdicts" not in n]
    worst = max(statistics.median(walls[n]) for n in ours)
    print(f"target list-models <= 0.25 s wall (built-ins, cached verdicts): {'met' if worst <= 0.25 else 'NOT met'}")


if __name__ == "__main__":
    main()
