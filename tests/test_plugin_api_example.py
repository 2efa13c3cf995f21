"""docs/plugin-api.md stays true: its worked example, extracted from the page itself, installs into a fresh
environment, trains through the CLI and passes `gensynth check`; and the page documents every public name."""

from __future__ import annotations

import re
from pathlib import Path

import gensynth
from safetensors.torch import load_file

from installed_plugins import make_venv, venv_gensynth, venv_pip_install

PAGE = Path(__file__).resolve().parents[1] / "docs" / "plugin-api.md"
#: A file of the example: a line "`path`:" (or "`path` (note):") and the fenced block that follows it.
FILE = re.compile(r"^`(gensynth-clipwgan/[\w./-]+)`[^\n]*:\n\n```\w*\n(.*?)^```$", re.M | re.S)


def example_files() -> dict[str, str]:
    return dict(FILE.findall(PAGE.read_text()))


def test_the_page_documents_every_public_name():
    text = PAGE.read_text()
    assert [name for name in gensynth.__all__ if f"`{name}`" not in text] == []


def test_the_worked_example_installs_trains_and_passes_the_conformance_kit(tmp_path):
    files = example_files()
    assert set(files) == {"gensynth-clipwgan/pyproject.toml", "gensynth-clipwgan/gensynth_clipwgan/__init__.py",
                          "gensynth-clipwgan/gensynth_clipwgan/config.py", "gensynth-clipwgan/gensynth_clipwgan/model.py"}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    python = make_venv(tmp_path / "venv")
    venv_pip_install(python, str(tmp_path / "gensynth-clipwgan"))

    def gensynth_cli(*args: str):
        return venv_gensynth(python, list(args), tmp_path / "config", GENSYNTH_PLUGINS="gensynth-clipwgan")

    run = tmp_path / "run"
    trained = gensynth_cli("train", "clipwgan:wgan-clip", "--data", "ring8", "--steps", "10", "--batch-size", "64",
                           "--set", "hidden=32", "--log-every", "5", "--out", str(run), "--quiet", "--device", "cpu")
    assert trained.returncode == 0, trained.stderr
    weights = load_file(str(run / "model.safetensors"))
    critic = [w for name, w in weights.items() if name.startswith("critic.")]
    assert critic and all(float(w.abs().max()) <= 0.01 for w in critic)  # clipped after every critic update
    assert (run / "samples" / "step-00000010.png").is_file()

    wrong = gensynth_cli("train", "clipwgan:wgan-clip", "--data", "ring8", "--set", "dim=3", "--steps", "1",
                         "--out", str(tmp_path / "wrong"), "--quiet", "--device", "cpu")
    assert wrong.returncode == 1 and wrong.stderr.strip().splitlines() == [
        "Error: --data ring8 gives 2-dimensional points but the model asks for 3-dimensional ones; "
        "use data of that dimension or a model configured for 2 (e.g. --set dim=2)"]

    checked = gensynth_cli("check", "clipwgan:wgan-clip")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "clipwgan:wgan-clip: 9 checks ran (9 passed), 5 skipped" in checked.stdout
