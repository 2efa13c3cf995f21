"""Train -> checkpoint -> kill/resume -> sample, bit-exact resume, atomic writes, NaN stop, hooks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from gensynth import api, hookimpl
from gensynth._training.atomic import write_bytes_atomic
from gensynth._errors import GensynthError, NonFiniteLoss
from gensynth._training.rundir import RunDir
from installed_plugins import env_with
from resume_support import train_interrupted_then_resumed

TINY_DCGAN = {"g_width": 8, "d_width": 8, "latent_dim": 16}


def weights(run: Path) -> dict[str, torch.Tensor]:
    return load_file(str(run / "model.safetensors"))


def assert_identical(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.mark.parametrize("model,data,config", [
    ("dcgan", "digits", TINY_DCGAN),
    ("mlp-gan", "ring8", {}),
    # the generator average past its warm-up (and ramped), LR decay, spectral norm vectors, lazy R1,
    # gradient-penalty RNG, n_disc
    ("cdcgan", "digits", {**TINY_DCGAN, "ema_start": 2, "decay_start": 0.5, "loss": "hinge", "spectral_norm": True,
                          "d_batch_norm": False, "r1_gamma": 1.0, "r1_every": 3}),
    ("mlp-gan", "ring8", {"hidden": 16, "ema_start": 2, "ema_rampup": 0.5, "loss": "wgan-gp", "n_disc": 2,
                          "r1_every": 3}),
])
def test_resume_is_bit_exact(tmp_path, model, data, config):
    """A run interrupted at step 6 of 12 (Ctrl-C) and resumed ends exactly as one that ran through;
    schedules over the 12 steps (the GANs' ``decay_start``) included."""
    common = dict(config=config, batch_size=16, seed=3, device="cpu", checkpoint_every=100, sample_every=5, log_every=2)
    api.train(model, data, tmp_path / "once", steps=12, **common)
    train_interrupted_then_resumed(model, data, tmp_path / "split", steps=12, stop_at=6, **common)
    assert_identical(weights(tmp_path / "once"), weights(tmp_path / "split"))
    once = RunDir(tmp_path / "once").load_checkpoint(RunDir(tmp_path / "once").latest_checkpoint()[1])[1]
    split = RunDir(tmp_path / "split").load_checkpoint(RunDir(tmp_path / "split").latest_checkpoint()[1])[1]
    assert once["step"] == split["step"] == 12
    assert torch.equal(once["rng"]["torch"], split["rng"]["torch"])
    for name, state in once["optimizers"].items():
        for idx, tensors in state["state"].items():
            for key, value in tensors.items():
                assert torch.equal(value, split["optimizers"][name]["state"][idx][key])


def test_seeded_runs_are_reproducible_and_seeds_matter(tmp_path):
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        api.train("mlp-gan", "ring8", tmp_path / name, steps=5, batch_size=32, seed=seed, device="cpu")
    assert_identical(weights(tmp_path / "a"), weights(tmp_path / "b"))
    a, c = weights(tmp_path / "a"), weights(tmp_path / "c")
    assert any(not torch.equal(a[k], c[k]) for k in a)


def test_run_directory_is_self_describing(tmp_path):
    api.train("dcgan", "digits", tmp_path / "r", steps=4, config=TINY_DCGAN, batch_size=16, device="cpu",
              checkpoint_every=2, keep_checkpoints=1, sample_every=2)
    run = RunDir(tmp_path / "r")
    config = run.read_config()
    assert config["model"]["id"] == "gan:dcgan" and config["model"]["config"]["g_width"] == 8
    assert config["data"]["spec"] == "digits" and config["training"]["steps"] == 4
    assert config["gensynth_version"] and config["model"]["plugin_version"]
    assert [s for s, _ in run.checkpoints()] == [4]  # keep-last-1
    assert sorted(p.name for p in run.samples_dir.iterdir()) == ["step-00000002.png", "step-00000004.png"]
    assert any(run.logs_dir.iterdir())  # TensorBoard events
    model = api.load_run(run.path)
    assert torch.equal(model.sample(4, seed=0), model.sample(4, seed=0))


def test_resume_with_changed_config_is_refused_naming_fields(tmp_path):
    api.train("dcgan", "digits", tmp_path / "r", steps=2, config=TINY_DCGAN, batch_size=16, device="cpu")
    with pytest.raises(GensynthError, match=r"differs from the run's in d_width, latent_dim"):
        api.train("dcgan", "digits", tmp_path / "r", steps=4, resume=True, batch_size=16, device="cpu",
                  config={**TINY_DCGAN, "d_width": 16, "latent_dim": 8})
    with pytest.raises(GensynthError, match="pass resume=True"):
        api.train("dcgan", "digits", tmp_path / "r", steps=4, config=TINY_DCGAN, batch_size=16, device="cpu")


def test_resume_keeps_the_recorded_config_and_the_values_of_fields_a_run_predates(tmp_path):
    """The run's config.json, not today's defaults, is resumed: without repeating --set, after a default changed,
    and for a field added since (its ``absent`` value when it declares one)."""
    common = dict(batch_size=16, device="cpu", checkpoint_every=2)
    api.train("dcgan", "digits", tmp_path / "r", steps=2, config=TINY_DCGAN, **common)
    api.train("dcgan", "digits", tmp_path / "r", steps=3, resume=True, **common)  # TINY_DCGAN not repeated
    run = RunDir(tmp_path / "r")
    record = run.read_config()
    assert {k: record["model"]["config"][k] for k in TINY_DCGAN} == TINY_DCGAN
    del record["model"]["config"]["ema_decay"]  # as if recorded before the field existed
    run.config_path.write_text(json.dumps(record))
    api.train("dcgan", "digits", tmp_path / "r", steps=4, resume=True, **common)
    assert api.load_run(run.path).config.g_width == TINY_DCGAN["g_width"]

    from gensynth.plugins.cyclegan.config import CycleGANConfig
    older = {"semantic_judge": "source", "semantic_judge_steps": 600, "semantic_classes": "judge"}  # as older runs
    assert CycleGANConfig.recorded({"ngf": 8}) == {"ngf": 8, **older}
    assert CycleGANConfig.recorded({"semantic_judge": "both"}) == {**older, "semantic_judge": "both"}
    from gensynth.plugins.gan.config import SNGANConfig
    assert SNGANConfig.recorded({"ema_start": 1000})["ema_rampup"] == 0.0  # sngan's average before the ramp


class Exploding:
    """Lifecycle hook that turns the generator's weights into NaN after step 3."""

    def __init__(self):
        self.calls = []

    @hookimpl
    def on_run_start(self, run):
        self.calls.append(("start", run.step))

    @hookimpl
    def on_log(self, run, step):  # after step 3's checks: the loss of step 4 is the first NaN
        self.calls.append(("step", step))
        if step == 3:
            with torch.no_grad():
                for p in run.model.parameters():
                    p.fill_(float("nan"))

    @hookimpl
    def on_checkpoint_saved(self, run, step, path):
        self.calls.append(("checkpoint", step))

    @hookimpl
    def on_run_end(self, run, status):
        self.calls.append(("end", status))


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    hook = Exploding()
    with pytest.raises(NonFiniteLoss, match=r"became NaN or infinite at step 4; .*step-00000002\) is untouched"):
        api.train("mlp-gan", "ring8", tmp_path / "r", steps=10, batch_size=32, device="cpu", log_every=1,
                  checkpoint_every=2, hooks=[hook])
    run = RunDir(tmp_path / "r")
    assert [s for s, _ in run.checkpoints()] == [2]
    good = run.load_checkpoint(run.checkpoints()[-1][1])[0]
    assert all(torch.isfinite(t).all() for t in good.values() if t.is_floating_point())
    assert hook.calls[:4] == [("start", 0), ("step", 1), ("step", 2), ("checkpoint", 2)]
    assert hook.calls[-1] == ("end", "failed")


def test_atomic_write_keeps_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "f.bin"
    write_bytes_atomic(target, b"old")

    def failing(path):
        path.write_bytes(b"partial")
        raise OSError("disk full")

    from gensynth._training.atomic import write_atomic

    with pytest.raises(OSError):
        write_atomic(target, failing)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_unfinished_checkpoint_folder_is_ignored(tmp_path):
    api.train("mlp-gan", "ring8", tmp_path / "r", steps=4, batch_size=32, device="cpu", checkpoint_every=2)
    run = RunDir(tmp_path / "r")
    (run.checkpoints_dir / ".step-00000006.tmp").mkdir()  # what a kill during a save leaves
    assert run.latest_checkpoint()[0] == 4
    api.train("mlp-gan", "ring8", tmp_path / "r", steps=6, batch_size=32, device="cpu", checkpoint_every=2, resume=True,
              extend=True)
    assert run.latest_checkpoint()[0] == 6 and not (run.checkpoints_dir / ".step-00000006.tmp").exists()


def cli(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "gensynth", *args], env=env_with(None), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def wait_for_checkpoint(run: Path, proc, timeout=120) -> None:
    began = time.time()
    while not RunDir(run).checkpoints():
        assert proc.poll() is None, proc.communicate()
        assert time.time() - began < timeout
        time.sleep(0.05)


TRAIN = ["train", "dcgan", "--data", "digits", "--set", "g_width=8", "--set", "d_width=8", "--batch-size", "16",
         "--device", "cpu", "--quiet"]


def test_cli_kill_resume_sample_cycle(tmp_path):
    run = tmp_path / "run"
    proc = cli(*TRAIN, "--steps", "100000", "--checkpoint-every", "3", "--out", str(run))
    wait_for_checkpoint(run, proc)
    time.sleep(0.3)
    proc.kill()  # SIGKILL: no chance to clean up
    proc.wait()
    step, folder = RunDir(run).latest_checkpoint()
    RunDir(run).load_checkpoint(folder)  # loadable
    resumed = cli(*TRAIN, "--steps", str(step + 3), "--checkpoint-every", "3", "--out", str(run), "--resume")
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert RunDir(run).latest_checkpoint()[0] == step + 3
    sampled = cli("sample", str(run), "-n", "16", "-o", str(tmp_path / "grid.png"), "--out-dir", str(tmp_path / "each"))
    out, err = sampled.communicate(timeout=300)
    assert sampled.returncode == 0, err
    assert (tmp_path / "grid.png").stat().st_size > 0 and len(list((tmp_path / "each").glob("*.png"))) == 16


def test_ctrl_c_saves_and_exits_cleanly(tmp_path):
    run = tmp_path / "run"
    proc = cli(*TRAIN, "--steps", "100000", "--checkpoint-every", "1000", "--sample-every", "1000", "--out", str(run))
    began = time.time()
    while not (run / "logs").exists():
        assert proc.poll() is None and time.time() - began < 120
        time.sleep(0.05)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted at step" in err and "--resume" in err and "Traceback" not in err
    assert RunDir(run).latest_checkpoint() is not None


@pytest.mark.parametrize("args,message", [
    (["train", "dcgan", "--data", "folder:/nonexistent/x", "--steps", "1"], "/nonexistent/x"),
    (["train", "nosuchmodel", "--data", "digits", "--steps", "1"], "unknown model 'nosuchmodel'"),
    (["train", "dcgan", "--data", "nosuchdata", "--steps", "1"], "nosuchdata"),
    (["train", "dcgan", "--data", "digits", "--steps", "1", "--set", "image_size=30"], "image_size"),
    (["train", "dcgan", "--data", "digits", "--steps", "1", "--set", "nope=1"], "unknown config field 'nope'"),
    (["train", "dcgan", "--data", "digits"], "--steps"),
    (["sample", "/nonexistent/run"], "does not exist"),
])
def test_cli_errors_are_one_line(tmp_path, args, message):
    proc = cli(*args, cwd=tmp_path)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], err


def test_corrupt_weights_are_a_clear_error(tmp_path):
    api.train("mlp-gan", "ring8", tmp_path / "r", steps=2, batch_size=32, device="cpu")
    (tmp_path / "r" / "model.safetensors").write_bytes(b"garbage")
    proc = cli("sample", str(tmp_path / "r"))
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1 and "corrupt" in err and "Traceback" not in err


def test_checkpoints_without_config_are_protected(tmp_path):
    api.train("mlp-gan", "ring8", tmp_path / "r", steps=2, batch_size=32, device="cpu")
    (tmp_path / "r" / "config.json").unlink()
    with pytest.raises(GensynthError, match="already holds a run"):
        api.train("mlp-gan", "ring8", tmp_path / "r", steps=4, batch_size=32, device="cpu")
    with pytest.raises(GensynthError, match="no config.json"):
        api.train("mlp-gan", "ring8", tmp_path / "r", steps=4, batch_size=32, device="cpu", resume=True)
    assert not (tmp_path / "r" / "config.json").exists()


def test_nan_weights_are_never_checkpointed(tmp_path):
    """Weights that turn NaN between loss checks (as off-CPU, where losses are checked only when logged)."""
    hook = Exploding()
    with pytest.raises(NonFiniteLoss, match=r"loss 'weights \(.*at step 3; .*step-00000002\) is untouched"):
        api.train("mlp-gan", "ring8", tmp_path / "r", steps=10, batch_size=32, device="cpu", log_every=3,
                  checkpoint_every=1, hooks=[hook])
    assert [s for s, _ in RunDir(tmp_path / "r").checkpoints()] == [1, 2]


@pytest.mark.parametrize("content", [b'{"model": "x"}', b'{"model": {}}', b"\xff\xfe{"])
def test_damaged_run_config_is_one_line(tmp_path, content):
    api.train("mlp-gan", "ring8", tmp_path / "r", steps=2, batch_size=32, device="cpu")
    (tmp_path / "r" / "config.json").write_bytes(content)
    for args in (["sample", str(tmp_path / "r")],
                 ["train", "mlp-gan", "--data", "ring8", "--steps", "4", "--out", str(tmp_path / "r"), "--resume"]):
        proc = cli(*args)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 1 and err.startswith("Error: ") and "Traceback" not in err, err


def test_unwritable_output_is_one_line(tmp_path):
    (tmp_path / "afile").write_text("x")
    proc = cli("train", "mlp-gan", "--data", "ring8", "--steps", "1", "--out", str(tmp_path / "afile" / "sub"))
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1 and err.startswith("Error: ") and "Traceback" not in err, err


def test_run_files_are_readable_by_others(tmp_path):
    api.train("mlp-gan", "ring8", tmp_path / "r", steps=1, batch_size=32, device="cpu")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "r" / "config.json").stat().st_mode & 0o777 == 0o666 & ~mask


def test_save_pretrained_round_trip(tmp_path):
    api.train("dcgan", "digits", tmp_path / "r", steps=2, config=TINY_DCGAN, batch_size=16, device="cpu")
    model = api.load_run(tmp_path / "r")
    api.save_pretrained(model, tmp_path / "p", "gan:dcgan")
    again = api.load_run(tmp_path / "p")
    assert RunDir(tmp_path / "p").read_config()["model"] == RunDir(tmp_path / "r").read_config()["model"]
    assert torch.equal(model.sample(4, seed=1), again.sample(4, seed=1))
