"""Install the test plugin packages in tests/plugins/ for real, with pip, into a temporary site dir.

The packages are built from their folders (no network: no build isolation, no
dependencies) and put on ``PYTHONPATH`` of subprocesses, where gensynth finds
them through their ``gensynth`` entry points exactly as it would in a venv.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PLUGINS_DIR = Path(__file__).parent / "plugins"


def pip_install_target(target: Path, *packages: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), *map(str, packages)],
        check=True, capture_output=True, text=True,
    )


def env_with(site: Path | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENSYNTH_")}
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


def run_gensynth(args: list[str], site: Path | None = None, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gensynth", *args], env=env_with(site, **extra),
                          capture_output=True, text=True, timeout=600)
