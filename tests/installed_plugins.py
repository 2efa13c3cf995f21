"""Install the test plugin packages in tests/plugins/ for real, with pip.

Two ways, both without network (no index, no build isolation, no dependencies):

* :func:`pip_install_target` puts them in a temporary site folder that subprocesses
  get on ``PYTHONPATH``; gensynth finds them through their ``gensynth`` entry points
  exactly as it would in a venv.
* :func:`make_venv` creates a real temporary virtual environment, for what needs one
  (``gensynth install``/``uninstall`` run pip in gensynth's own interpreter). torch is
  far too large to install again, so the venv sees the test run's environment through
  a ``.pth`` file: ``import site; site.addsitedir(<our site-packages>)``. ``addsitedir``
  also processes the ``.pth`` files found there, so the editable install of gensynth
  works in the venv; the venv's own site-packages comes first on ``sys.path``, pip
  installs into it (``sys.prefix`` is the venv), and pip itself is borrowed the same way.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

PLUGINS_DIR = Path(__file__).parent / "plugins"


def pip_install_target(target: Path, *packages: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), *map(str, packages)],
        check=True, capture_output=True, text=True,
    )


#: The cache folder of the commands the tests run (probe verdicts land there, not in ~/.cache).
TEST_CACHE = Path(tempfile.mkdtemp(prefix="gensynth-test-cache-"))
atexit.register(shutil.rmtree, TEST_CACHE, ignore_errors=True)


def installed_site(tmp_path_factory, *names: str) -> Path:
    """A new site folder (for ``PYTHONPATH``) holding the test plugins ``names``."""
    target = tmp_path_factory.mktemp("site")
    pip_install_target(target, *(PLUGINS_DIR / name for name in names))
    return target


def env_with(site: Path | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENSYNTH_")}
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["COLUMNS"] = "200"
    env["GENSYNTH_CACHE_DIR"] = str(TEST_CACHE)
    env.update(extra)
    return env


def run_gensynth(args: list[str], site: Path | None = None, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gensynth", *args], env=env_with(site, **extra),
                          capture_output=True, text=True, timeout=600)


#: pip options that keep every install local: tests never reach the network.
OFFLINE = ["--no-index", "--no-build-isolation", "--no-deps", "--quiet"]


def make_venv(folder: Path) -> Path:
    """A virtual environment in ``folder`` that also sees this environment's packages; returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    site_packages = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   check=True, capture_output=True, text=True).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    (Path(site_packages) / "_gensynth_test_parent_env.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    return python


def venv_gensynth(python: Path, args: list[str], config_dir: Path, timeout: float = 600,
                  **extra: str) -> subprocess.CompletedProcess:
    """``gensynth ARGS`` run by the venv's python, with its plugin settings in ``config_dir``."""
    return subprocess.run([str(python), "-m", "gensynth", *args], env=env_with(None, GENSYNTH_CONFIG_DIR=str(config_dir),
                          **extra), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def venv_pip_install(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "install", *OFFLINE, *args], check=True, capture_output=True, text=True)
