"""``gensynth train`` with two data domains, ``gensynth translate`` and its errors, ``sample`` on a CycleGAN run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from gensynth.cli.main import cli
from gensynth._data.images import read_image
from test_cyclegan import write_images

TINY = ["--set", "image_size=16", "--set", "ngf=4", "--set", "ndf=4", "--set", "n_blocks=1"]


def invoke(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], terminal_width=200)


def one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def domains(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("domains")
    write_images(root / "a", 6, seed=1)
    write_images(root / "b", 5, size=(16, 16), seed=2)
    return root


@pytest.fixture(scope="module")
def run(domains) -> Path:
    out = domains / "run"
    result = invoke("train", "cyclegan", "--data-a", f"folder:{domains / 'a'}", "--data-b", f"folder:{domains / 'b'}",
                    *TINY, "--steps", 2, "--batch-size", 2, "--device", "cpu", "--quiet", "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_train_with_two_domains_records_both(run, domains):
    recorded = json.loads((run / "config.json").read_text())["data"]["spec"]
    assert recorded == {"a": f"folder:{domains / 'a'}", "b": f"folder:{domains / 'b'}"}
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["a2b-step-00000002.png", "b2a-step-00000002.png"]


def test_translate_folders_recursively_and_files(run, domains, tmp_path):
    inputs = tmp_path / "in"
    write_images(inputs / "deep" / "er", 2, size=(30, 20))
    Image.new("RGB", (16, 16), (255, 0, 0)).save(inputs / "photo.jpg")
    out = tmp_path / "out"
    result = invoke("translate", run, "--direction", "a2b", inputs, domains / "b" / "0.png", "-o", out)
    assert result.exit_code == 0, result.output
    assert "Wrote 4 translated PNGs (a2b)" in result.stderr
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.png"))
    assert written == ["0.png", "deep/er/0.png", "deep/er/1.png", "photo.png"]
    assert read_image(out / "photo.png", 1, 16).shape == (1, 16, 16)
    again = tmp_path / "again"
    assert invoke("translate", run, "--direction", "a2b", inputs, "-o", again).exit_code == 0
    assert (again / "photo.png").read_bytes() == (out / "photo.png").read_bytes()


def test_translate_errors_are_one_line(run, tmp_path):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "notes.txt").write_text("no images here")
    line = one_error_line(invoke("translate", run, "--direction", "a2b", tmp_path / "empty", "-o", tmp_path / "o"))
    assert "no images in" in line and "looked for .png .jpg .jpeg .bmp .gif .webp .tif .tiff files" in line
    (tmp_path / "broken.png").write_bytes(b"not a png")
    line = one_error_line(invoke("translate", run, "--direction", "b2a", tmp_path / "broken.png", "-o", tmp_path / "o"))
    assert "cannot read image" in line and "broken.png" in line
    line = one_error_line(invoke("translate", run, "--direction", "a2c", tmp_path / "broken.png", "-o", tmp_path / "o"))
    assert "unknown direction 'a2c'" in line
    line = one_error_line(invoke("translate", run, "--direction", "a2b", tmp_path / "missing", "-o", tmp_path / "o"))
    assert "does not exist" in line
    write_images(tmp_path / "x", 1)
    write_images(tmp_path / "y", 1)
    line = one_error_line(invoke("translate", run, "--direction", "a2b", tmp_path / "x", tmp_path / "y", "-o", tmp_path / "o"))
    assert "would both be written as 0.png" in line


def test_translate_refuses_outputs_among_the_runs_files_before_translating(run, tmp_path):
    from gensynth import GensynthError, api

    write_images(tmp_path / "in" / "logs", 1)
    before = sorted(p.relative_to(run) for p in run.rglob("*"))
    owned = "is inside the run's own files (config, weights, checkpoints, samples, logs, eval) and would overwrite them"
    line = one_error_line(invoke("translate", run, "--direction", "a2b", tmp_path / "in", "-o", run / "samples"))
    assert line == f"Error: --out-dir {run / 'samples'} {owned}; choose another path"
    line = one_error_line(invoke("translate", run, "--direction", "a2b", tmp_path / "in", "-o", run))
    assert line.startswith(f"Error: {run / 'logs'} (written under --out-dir {run}) {owned}")
    line = one_error_line(invoke("translate", run, "--direction", "a2b", tmp_path / "in", "-o", tmp_path / "o",
                                 "--sheet", run / "config.json"))
    assert line.startswith(f"Error: --sheet {run / 'config.json'} {owned}")
    with pytest.raises(GensynthError, match="^" + re.escape(f"sheet='{run / 'model.safetensors'}' {owned}")):
        api.translate(run, [tmp_path / "in"], tmp_path / "o", direction="a2b", sheet=run / "model.safetensors")
    assert sorted(p.relative_to(run) for p in run.rglob("*")) == before and not (tmp_path / "o").exists()


def test_translate_needs_a_model_that_translates(tmp_path):
    (tmp_path / "gan").mkdir()
    (tmp_path / "gan" / "config.json").write_text(json.dumps({"model": {"id": "gan:dcgan", "config": {}}}))
    write_images(tmp_path / "in", 1)
    line = one_error_line(invoke("translate", tmp_path / "gan", "--direction", "a2b", tmp_path / "in", "-o", tmp_path / "o"))
    assert "needs a model with the 'translate' capability and gan:dcgan has latent, truncation" in line and "cyclegan:cyclegan" in line


def test_sample_on_a_cyclegan_run_names_translate(run):
    line = one_error_line(invoke("sample", run))
    assert "cannot generate" in line and "gensynth translate RUN --direction a2b INPUT -o OUT_DIR" in line


@pytest.mark.parametrize("args, message", [
    (["--data", "digits"], "learns between the data domains a, b and --data digits is one data set"),
    (["--data", "digits", "--data-a", "digits"], "not both"),
    (["--data-b", "digits"], "no data for domain a"),
    ([], "give --data SPEC"),
])
def test_train_data_option_errors(args, message, tmp_path):
    line = one_error_line(invoke("train", "cyclegan", *args, "--steps", 1, "--out", tmp_path / "r"))
    assert message in line
