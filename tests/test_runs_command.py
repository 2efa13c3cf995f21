"""Default run folders that never collide, status.json, and `gensynth runs`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner

from gensynth import api
from gensynth._training.catalog import find_runs
from gensynth._training.rundir import new_run_dir
from gensynth._training.status import read_status
from gensynth.cli.main import cli

TINY = {"hidden": 8, "depth": 1}


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], terminal_width=200)


def test_new_run_folders_are_numbered_and_claimed_atomically(tmp_path):
    (tmp_path / "dcgan-3").mkdir()
    (tmp_path / "dcgan-x").mkdir()
    assert new_run_dir(tmp_path, "dcgan") == (tmp_path / "dcgan-4", [tmp_path / "dcgan-4"])
    assert new_run_dir(tmp_path / "runs" / "new", "vae")[1] == [tmp_path / "runs" / "new" / "vae-1",
                                                               tmp_path / "runs" / "new", tmp_path / "runs"]
    claimed = []
    workers = [threading.Thread(target=lambda: claimed.append(new_run_dir(tmp_path, "vae")[0])) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(p.name for p in claimed) == [f"vae-{n}" for n in range(1, 9)]


def test_training_without_out_never_collides_and_resume_needs_out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["train", "mlp-gan", "--data", "ring8", "--steps", 1, "--set", "hidden=8", "--set", "depth=1"]
    first, second = invoke(*args), invoke(*args, "--quiet")
    assert first.exit_code == second.exit_code == 0, first.output + second.output
    assert "into runs/mlp-gan-1" in first.output.splitlines()[0] and "in runs/mlp-gan-2" in second.output
    result = invoke(*args, "--resume")
    assert result.exit_code == 1 and result.output.strip() == (
        "Error: resuming needs the run directory: pass --out RUN_DIR (the run to continue)")
    refused = invoke("train", "mlp-gan", "--data", "ring8", "--steps", 0)
    assert refused.exit_code != 0 and sorted(os.listdir("runs")) == ["mlp-gan-1", "mlp-gan-2"]  # nothing claimed


def test_a_start_the_trainer_refuses_leaves_no_default_run_folder(tmp_path, monkeypatch):
    """The default runs/<model>-<n> is claimed before the Trainer's last checks; a refusal there removes it
    (and runs/ when this command created it), but never a folder that was there before."""
    from gensynth import Phase
    from gensynth.plugins.gan.base import GAN

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(GAN, "training_phases", lambda self: [Phase("g", "nope", lambda batch, scratch: 0)])
    args = ["train", "mlp-gan", "--data", "ring8", "--steps", 1, "--set", "hidden=8", "--set", "depth=1"]
    refused = invoke(*args)
    assert refused.exit_code == 1 and refused.output.splitlines()[-1] == (
        "Error: model phase uses optimizer 'nope', but the model defines d, g")
    assert not (tmp_path / "runs").exists()  # the run folder, and runs/ which this command created
    (tmp_path / "runs" / "mlp-gan-1").mkdir(parents=True)  # someone else's
    assert invoke(*args).exit_code == 1
    assert os.listdir("runs") == ["mlp-gan-1"] and not os.listdir("runs/mlp-gan-1")


def test_status_records_completed_and_failed_runs(tmp_path, monkeypatch):
    api.train("mlp-gan", "ring8", tmp_path / "ok", steps=2, config=TINY, progress="none", sample_every=2)
    status = read_status(tmp_path / "ok")
    assert (status["status"], status["step"], status["total_steps"], status["pid"]) == ("completed", 2, 2, os.getpid())

    class Boom:
        from gensynth import hookimpl

        @hookimpl
        def on_step_end(self, run, step):
            raise RuntimeError("disk on fire")

    monkeypatch.setenv("GENSYNTH_STRICT", "1")  # a failing hook stops training
    with pytest.raises(Exception, match="disk on fire"):
        api.train("mlp-gan", "ring8", tmp_path / "bad", steps=4, config=TINY, progress="none", log_every=1,
                  hooks=[Boom()], sample_every=4)
    status = read_status(tmp_path / "bad")
    assert status["status"] == "failed" and "disk on fire" in status["error"]


def _fake_run(folder, model="gan:mlp-gan", steps=10, status=None, checkpoints=(), evaluation=None):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model": {"id": model}, "training": {"steps": steps}}))
    for step in checkpoints:
        (folder / "checkpoints" / f"step-{step:08d}").mkdir(parents=True)
    if status:
        (folder / "status.json").write_text(json.dumps({"host": os.uname().nodename, "total_steps": steps, **status}))
    if evaluation:
        (folder / "eval").mkdir()
        (folder / "eval" / "step-00000010.json").write_text(json.dumps(evaluation))


FID = {"created": "2026-11-24T10:00:00Z", "run": {"step": 10}, "results": [{
    "metric": "metrics:fid", "values": {"fid": 12.25}, "protocol_id": "abc",
    "protocol": {"extractor": {"id": "metrics:classifier", "test_accuracy": 0.97}, "generated": {"num_samples": 10}}}]}


def test_runs_lists_model_progress_status_age_and_latest_evaluation(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    _fake_run(tmp_path / "a", status={"status": "completed", "step": 10}, evaluation=FID)
    _fake_run(tmp_path / "b", status={"status": "running", "step": 3, "pid": os.getpid()})
    _fake_run(tmp_path / "c", status={"status": "running", "step": 4, "pid": 2**22 + 12345})  # its process is gone
    _fake_run(tmp_path / "nested" / "d", status={"status": "failed", "step": 2, "error": "loss 'd' became NaN"})
    _fake_run(tmp_path / "e", checkpoints=(5,))  # an older run without status.json
    (tmp_path / "not-a-run").mkdir()
    statuses = {s.dir.name: (s.status, s.step) for s in find_runs(tmp_path)}
    assert statuses == {"a": ("completed", 10), "b": ("running", 3), "c": ("interrupted", 4), "d": ("failed", 2),
                        "e": ("interrupted", 5)}
    result = invoke("runs", tmp_path)
    assert result.exit_code == 0, result.output
    assert "@10: fid=12.25 (classifier features)" in result.output and "nested/d" in result.output
    assert "failed: loss 'd' became NaN" in result.output and "10/10" in result.output
    records = json.loads(invoke("runs", tmp_path, "--json").output)
    assert [r["status"] for r in records] == ["completed", "running", "interrupted", "interrupted", "failed"]  # by path
    assert records[0]["evaluation"][0]["values"] == {"fid": 12.25} and records[0]["age"] >= 0


def test_runs_of_a_missing_folder_is_one_line(tmp_path):
    result = invoke("runs", tmp_path / "nope")
    assert result.exit_code == 1 and result.output.startswith("Error: folder ") and len(result.output.splitlines()) == 1
    assert invoke("runs", tmp_path).output.strip() == f"No runs below {tmp_path}."


def test_runs_never_imports_torch(tmp_path):
    _fake_run(tmp_path / "a", status={"status": "completed", "step": 10}, evaluation=FID)
    code = ("import sys; from click.testing import CliRunner; from gensynth.cli.main import cli; "
            f"r = CliRunner().invoke(cli, ['runs', {str(tmp_path)!r}]); assert r.exit_code == 0, r.output; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
