"""The listing commands: output, JSON, errors, and never importing torch."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from gensynth.cli.main import cli

CHECK_NO_TORCH = """
import sys
from click.testing import CliRunner
from gensynth.cli.main import cli
result = CliRunner().invoke(cli, {args!r})
assert result.exit_code == 0, result.output
bad = sorted(m for m in sys.modules if m == "torch" or m.startswith(("torch.", "torchvision", "gensynth.plugins.gan.dcgan", "gensynth.plugins.gan.mlp_gan")))
assert not bad, bad
print("ok")
"""


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["list-models"], ["list-models", "--json"],
                                  ["info", "dcgan"], ["info", "mlp-gan", "--json"], ["plugins"], ["plugins", "--json"]])
def test_listing_never_imports_torch_or_model_code(args):
    result = subprocess.run([sys.executable, "-c", CHECK_NO_TORCH.format(args=args)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def invoke(*args):
    return CliRunner().invoke(cli, list(args), terminal_width=200)


def test_list_models_table_and_json():
    table = invoke("list-models")
    assert table.exit_code == 0
    for text in ("gan:dcgan", "gan:mlp-gan", "family", "summary"):
        assert text in table.output
    records = json.loads(invoke("list-models", "--json").output)
    dcgan = next(r for r in records if r["id"] == "gan:dcgan")
    assert dcgan["family"] == "gan" and dcgan["plugin"] == "gan" and dcgan["resolutions"] == [28, 32, 64]
    assert {f["name"] for f in dcgan["config"]} >= {"image_size", "channels", "latent_dim", "lr_g", "lr_d", "loss", "ema_decay"}


def test_list_models_filters():
    ids = lambda *a: {r["id"] for r in json.loads(invoke("list-models", "--json", *a).output)}  # noqa: E731
    assert ids("*mlp*") == {"gan:mlp-gan"}
    assert "gan:dcgan" in ids("--family", "gan")
    assert ids("--family", "nope") == set()
    assert ids("--plugin", "gan") >= {"gan:dcgan", "gan:mlp-gan"}
    assert "No models match" in invoke("list-models", "zzz*").output


def test_info_shows_every_config_field():
    result = invoke("info", "dcgan")
    assert result.exit_code == 0
    record = json.loads(invoke("info", "gan:dcgan", "--json").output)
    words = " ".join(result.output.split())  # the table wraps at the terminal's width
    assert "in [1, 1024]" in words and "in [1, 4096]" in words  # g_width's and latent_dim's declared ranges
    for field in record["config"]:
        assert field["name"] in result.output
        assert field["help"]
        assert field["type"].removesuffix(" | None") in ("int", "float", "str", "bool") or field["type"].startswith("list")


def test_unknown_model_is_one_clear_line():
    result = invoke("info", "dcgann")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == ["Error: unknown model 'dcgann'; did you mean dcgan, cdcgan? (see `gensynth list-models`)"]


@pytest.mark.parametrize("args, line", [
    (["list-models", "--bogus"], "Error: No such option '--bogus'; see 'gensynth list-models --help'"),
    (["--bogus"], "Error: No such option '--bogus'; see 'gensynth --help'"),
    (["trian"], "Error: No such command 'trian'. Did you mean 'train'? See 'gensynth --help'."),
    (["train", "dcgan", "--steps", "abc"],
     "Error: Invalid value for '--steps': 'abc' is not a valid integer; see 'gensynth train --help'"),
    (["plugins", "disable"], "Error: Missing argument 'NAME'; see 'gensynth plugins disable --help'"),
])
def test_wrong_usage_is_one_line_and_exit_2(args, line):
    result = CliRunner().invoke(cli, args, prog_name="gensynth")
    assert result.exit_code == 2 and result.stderr.splitlines() == [line] and result.stdout == ""


def test_python_dash_m_and_console_script_agree():
    out = subprocess.run([sys.executable, "-m", "gensynth", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "gensynth, version 0.1.0"
