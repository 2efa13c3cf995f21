"""One owner per run directory, refusals that change nothing, stale temporaries, schedule horizons, periodic options."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from safetensors.torch import load_file, save_file

from gensynth import api
from gensynth._discovery.registry import get_registry
from gensynth._errors import GensynthError
from gensynth._training.lock import RunLock, holder
from gensynth._training.processes import writes_run_dir
from gensynth._training.rundir import RunDir
from gensynth.cli.main import cli

TINY = {"g_width": 8, "d_width": 8, "latent_dim": 16}
COMMON = dict(config=TINY, batch_size=16, device="cpu", sample_every=2, checkpoint_every=2, log_every=2)


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under ``folder``, hidden ones included."""
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None for p in sorted(folder.rglob("*"))}


def refused(folder: Path, match: str, **kwargs) -> None:
    """``api.train`` into ``folder`` is refused with ``match`` and leaves it byte-identical."""
    before = snapshot(folder)
    with pytest.raises(GensynthError, match=match):
        api.train("dcgan", "digits", folder, **{**COMMON, **kwargs})
    assert snapshot(folder) == before


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A dcgan run at step 4 with checkpoints at steps 2 and 4 (copy it before changing it)."""
    run = tmp_path_factory.mktemp("run") / "r"
    api.train("dcgan", "digits", run, steps=4, **COMMON)
    return run


def copy_of(run: Path, tmp_path: Path) -> Path:
    shutil.copytree(run, tmp_path / "r")
    return tmp_path / "r"


def hold_lock_in_child(run: Path) -> subprocess.Popen:
    """Another process that owns ``run`` until it is killed."""
    code = ("import sys, time; from gensynth._training.lock import RunLock\n"
            "with RunLock(sys.argv[1], 'test'):\n    print('locked', flush=True); time.sleep(600)")
    child = subprocess.Popen([sys.executable, "-c", code, str(run)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "locked"
    return child


def test_a_second_writer_is_refused_naming_the_owner_and_a_killed_owner_is_taken_over(trained, tmp_path):
    run = copy_of(trained, tmp_path)
    child = hold_lock_in_child(run)
    try:
        owner = f"process {child.pid} on {socket.gethostname()}"
        refused(run, f"run directory .* is in use by {owner} \\(test\\) since", steps=6, resume=True)
        result = CliRunner().invoke(cli, ["train", "dcgan", "--data", "digits", "--steps", "6", "--out", str(run),
                                          "--resume", "--quiet"])
        lines = result.output.strip().splitlines()
        assert result.exit_code == 1 and len(lines) == 1 and owner in lines[0] and "--out folder" in lines[0], lines
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert json.loads((run / ".lock").read_text())["pid"] == child.pid  # what the kill left
    assert holder(run) is None  # the kernel released it with the process
    with RunLock(run, "next"):
        assert holder(run).pid == os.getpid() and holder(run).command == "next"
    assert not (run / ".lock").exists()


def test_only_the_main_process_of_a_torchrun_run_takes_the_lock(tmp_path, monkeypatch):
    child = hold_lock_in_child(tmp_path / "r")  # rank 0 of a torchrun run, training
    try:
        monkeypatch.setenv("WORLD_SIZE", "2")
        monkeypatch.setenv("RANK", "1")
        assert not writes_run_dir()
        with RunLock(tmp_path / "r", "gensynth train", enabled=writes_run_dir()):
            pass  # rank 1 reads the run while rank 0 owns it: not refused
        monkeypatch.setenv("RANK", "0")
        with pytest.raises(GensynthError, match=f"is in use by process {child.pid}"):
            with RunLock(tmp_path / "r", "gensynth train", enabled=writes_run_dir()):
                pass
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()


def test_a_forked_child_does_not_keep_the_lock(tmp_path):
    with RunLock(tmp_path / "r"):
        pid = os.fork()
        if pid == 0:  # the child outlives the owner's release
            time.sleep(3)
            os._exit(0)
    try:
        with RunLock(tmp_path / "r"):  # would be refused if the child still held the lock
            pass
    finally:
        os.waitpid(pid, 0)


def test_a_finished_run_or_another_batch_size_or_seed_is_refused_before_the_model_or_data_load(trained, tmp_path,
                                                                                             monkeypatch):
    """The checkpoint's folder tells its step and its state.json the batch size and seed: resuming to that step or
    less, or with another batch size or seed, is refused before torch's side of train (model, data, Trainer) runs,
    and changes nothing; with epochs the step is refused once the data is loaded, also untouched."""
    run = copy_of(trained, tmp_path)
    real_train = api._train
    monkeypatch.setattr(api, "_train", lambda *args: pytest.fail("the torch side of train ran"))
    for steps in (4, 3):
        refused(run, rf"^the run is already at step 4 of {steps}; pass a larger steps to continue$", steps=steps,
                resume=True)
    refused(run, r"^cannot resume with another batch size: checkpoint step-00000004 was trained with batch_size=16; "
                 r"drop batch_size or start a new run$", steps=6, resume=True, batch_size=8)
    refused(run, r"^cannot resume with another batch size or seed: checkpoint step-00000004 was trained with "
                 r"batch_size=16, seed=0; drop batch_size/seed or start a new run$", steps=6, resume=True,
            batch_size=8, seed=5)
    refused(run, "^cannot resume with another seed", steps=6, resume=True, seed=5)
    monkeypatch.setattr(api, "_train", real_train)
    short = tmp_path / "short"
    api.train("dcgan", "digits@:32", short, steps=2, **COMMON)  # 32 images, batch 16: two steps per epoch
    before = snapshot(short)
    with pytest.raises(GensynthError, match=r"^the run is already at step 2 of 2; pass a larger steps to continue$"):
        api.train("dcgan", "digits@:32", short, **{**COMMON, "epochs": 1, "resume": True})
    assert snapshot(short) == before


def test_refused_starts_leave_the_run_byte_identical(trained, tmp_path):
    run = copy_of(trained, tmp_path)
    refused(run, "already holds a run; pass resume=True", steps=6)
    refused(run, "already at step 4 of 2", steps=2, resume=True)
    with pytest.raises(GensynthError, match="cannot resume: the run trained gan:dcgan, not vae:vae"):
        api.train("vae", "digits", run, steps=6, resume=True, device="cpu")  # not "vae has no recipes"
    state = run / "checkpoints" / "step-00000004" / "state.json"
    original = state.read_bytes()
    for content, message in [(b"[]", r"state.json holds list instead of an object"),
                             (json.dumps({k: v for k, v in json.loads(original).items() if k != "rng"}).encode(),
                              r"state.json has no 'rng'"),
                             (b"{not json", "corrupt")]:
        state.write_bytes(content)
        refused(run, f"checkpoint .*step-00000004 is (damaged|corrupt).*{message}|{message}", steps=6, resume=True)
    state.write_bytes(original)
    weights = run / "checkpoints" / "step-00000004" / "model.safetensors"
    tensors = load_file(str(weights))
    name = next(k for k, v in tensors.items() if v.ndim == 4)
    save_file({**tensors, name: torch.zeros(3, 3, 3, 3)}, str(weights))
    refused(run, rf"checkpoint .*step-00000004 belongs to another model configuration: tensor '{name}' is 3x3x3x3 "
                 rf"there and .* in this model", steps=6, resume=True)
    shutil.copyfile(trained / "checkpoints" / "step-00000004" / "model.safetensors", weights)
    api.train("dcgan", "digits", run, steps=6, resume=True, **COMMON)  # none of the refusals locked the run
    assert RunDir(run).latest_checkpoint()[0] == 6 and not (run / ".lock").exists()


def test_a_trainer_used_directly_checks_its_start(trained, tmp_path):
    """Without api.train's checks before torch, Trainer.fit makes them: the same refusals, nothing changed."""
    from gensynth._data.domains import data_info, load_model_data
    from gensynth._training.options import TrainOptions
    from gensynth._training.trainer import Trainer

    run = copy_of(trained, tmp_path)
    net = api.build_model("dcgan", TINY)
    data = load_model_data("digits", net.data_request(), get_registry())
    net.bind_data(data_info(data))
    before = snapshot(run)
    for options, message in [({"batch_size": 8}, "^cannot resume with another batch size: checkpoint step-00000004 "
                                                 "was trained with batch_size=16; drop batch_size or start a new run$"),
                             ({"seed": 5}, "^cannot resume with another seed"),
                             ({"steps": 4}, "^the run is already at step 4 of 4")]:
        opts = TrainOptions(**{"steps": 6, "batch_size": 16, "device": "cpu", **options})
        with pytest.raises(GensynthError, match=message):
            Trainer(net, data, run, opts, progress=False).fit(resume=True)
        assert snapshot(run) == before


def test_saved_weights_are_never_overwritten(trained, tmp_path):
    exported = tmp_path / "p"
    api.save_pretrained(api.load_run(trained), exported, "dcgan")
    before = snapshot(exported)
    with pytest.raises(GensynthError, match="already holds a run"):
        api.train("vae", "digits", exported, steps=2, device="cpu")
    with pytest.raises(GensynthError, match="holds saved weights but no checkpoint to resume from"):
        api.train("dcgan", "digits", exported, steps=2, resume=True, **COMMON)
    assert snapshot(exported) == before
    without = copy_of(trained, tmp_path)
    shutil.rmtree(without / "checkpoints")
    refused(without, "already holds a run", steps=2)
    refused(without, "holds saved weights but no checkpoint", steps=2, resume=True)
    with pytest.raises(GensynthError, match="holds a training run"):
        api.save_pretrained(api.load_run(trained), trained, "dcgan")
    fresh = tmp_path / "new" / "run"
    with pytest.raises(GensynthError, match="unknown config field"):
        api.train("dcgan", "digits", fresh, steps=2, config={"nope": 1})
    assert not (tmp_path / "new").exists()  # the lock's folders go again when nothing was written


def test_the_next_start_removes_what_killed_writers_left(trained, tmp_path):
    run = copy_of(trained, tmp_path)
    stale = [run / ".config.json.k2j3h4.tmp", run / ".model.safetensors.8sd7f6.tmp",
             run / "samples" / ".step-00000006.png.x7c6v5.tmp", run / "eval" / ".step-00000006.json.a1b2c3.tmp"]
    for path in stale:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"partial")
    (run / "checkpoints" / ".step-00000006.tmp").mkdir()
    os.replace(run / "checkpoints" / "step-00000004", run / "checkpoints" / ".step-00000004.old")  # mid-swap kill
    (run / ".lock").write_text('{"pid": 999999, "host": "elsewhere"}')  # a killed owner's lock
    api.train("dcgan", "digits", run, steps=6, resume=True, **COMMON)
    assert not [p for p in run.rglob("*.tmp")] and not (run / "checkpoints" / ".step-00000004.old").exists()
    assert [s for s, _ in RunDir(run).checkpoints()] == [2, 4, 6] and not (run / ".lock").exists()


def test_resuming_keeps_the_schedule_horizon_and_extending_it_is_explicit(tmp_path, capsys):
    run = tmp_path / "m"
    options = dict(batch_size=32, device="cpu", checkpoint_every=2, config={"hidden": 16})
    api.train("mlp-gan", "ring8", run, steps=4, **options)  # its learning rates decay to 0 at step 4
    before = snapshot(run)
    with pytest.raises(GensynthError, match="schedules were planned to end at step 4; pass extend=True to re-plan "
                                            "them over 8 steps, or give steps=4 or less"):
        api.train("mlp-gan", "ring8", run, steps=8, resume=True, **options)
    assert snapshot(run) == before
    with pytest.raises(GensynthError, match="extend=True lengthens a run being resumed; add resume=True"):
        api.train("mlp-gan", "ring8", tmp_path / "other", steps=8, extend=True, **options)
    api.train("mlp-gan", "ring8", run, steps=8, resume=True, extend=True, progress=True, **options)
    line = next(line for line in capsys.readouterr().err.splitlines() if line.startswith("Extending"))
    assert line == ("Extending the run from 4 to 8 steps: its learning-rate schedules are re-planned over 8 steps "
                    "and continue from step 4 of the new plan (learning rate d 0 -> 0.001, g 0 -> 0.001)")
    assert RunDir(run).read_config()["training"]["horizon"] == 8
    assert RunDir(run).load_checkpoint(RunDir(run).latest_checkpoint()[1])[1]["horizon"] == 8


def test_a_run_without_schedules_continues_exactly_to_a_larger_steps(tmp_path):
    """The README's `--steps 2000` then `--steps 4000 --resume`, for a model whose learning rate does not decay."""
    api.train("dcgan", "digits", tmp_path / "once", steps=6, **COMMON)
    api.train("dcgan", "digits", tmp_path / "twice", steps=3, **COMMON)
    api.train("dcgan", "digits", tmp_path / "twice", steps=6, resume=True, **COMMON)
    once, twice = (load_file(str(tmp_path / name / "model.safetensors")) for name in ("once", "twice"))
    assert once.keys() == twice.keys() and all(torch.equal(once[k], twice[k]) for k in once)
    assert RunDir(tmp_path / "twice").read_config()["training"]["horizon"] == 6


def test_periodic_options_share_one_meaning(tmp_path):
    run = tmp_path / "m"
    api.train("mlp-gan", "ring8", run, steps=3, batch_size=32, device="cpu", config={"hidden": 16}, sample_every=0,
              checkpoint_every=0, keep_checkpoints=0, eval_metrics=("mode_coverage",), eval_samples=200)
    assert [s for s, _ in RunDir(run).checkpoints()] == [3]  # 0: at the last step only
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["step-00000003.png"]
    assert sorted(p.name for p in (run / "eval").iterdir()) == ["step-00000003.json"]
    api.train("mlp-gan", "ring8", run, steps=3 + 2, batch_size=32, device="cpu", config={"hidden": 16},
              checkpoint_every=1, keep_checkpoints=0, resume=True, extend=True)
    assert [s for s, _ in RunDir(run).checkpoints()] == [3, 4, 5]  # keep 0: every checkpoint
    for option, value, message in [("keep_checkpoints", -1, "keep_checkpoints must be at least 0, got -1"),
                                   ("sample_every", -1, "sample_every must be at least 0"),
                                   ("eval_every", 2, "eval_every needs eval_metrics")]:
        with pytest.raises(GensynthError, match=message):
            api.train("mlp-gan", "ring8", tmp_path / "x", steps=2, device="cpu", **{option: value})
