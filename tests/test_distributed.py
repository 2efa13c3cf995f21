"""Data-parallel training under torchrun on CPU (gloo, 2 processes).

Three launches serve every test (each costs a few seconds of process start-up):

1. ``distributed_jobs.py`` runs, one after the other: the parity runs (mlp-gan and the VAE at half the
   batch per process, the noise a function of the global example), an evaluation during training, the
   statistics sync and ADA's r_t over the processes, a
   run whose processes are made to differ, the straight GAN (R1, EMA, decay) and CycleGAN runs, and
   last a CycleGAN run whose rank 0 kills itself (SIGKILL) right after its step-4 checkpoint;
2. ``torchrun -m gensynth train mlp-gan ...``, whose rank 1 is killed (kill -9) after its first checkpoint;
3. ``distributed_jobs.py`` again, resuming both killed runs with the same command and ``--resume``.
"""

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
import torch.distributed as dist
from click.testing import CliRunner
from safetensors.torch import load_file
from torch import nn

from distributed_support import split_noise
from gensynth import Model, api
from gensynth._data.dataset import TensorData
from gensynth._data.domains import open_batches
from gensynth._errors import GensynthError
from gensynth._training.parallel import TrainedBy
from gensynth._training.rng import rank_seed
from gensynth._training.rundir import RunDir
from gensynth._training.runtime import Runtime
from gensynth.cli.main import cli
from gensynth.plugins.vae import VQ_TEST_CONFIG
from test_cyclegan import TINY as TINY_CYCLEGAN, write_images
from test_pix2pix import TINY as TINY_PIX2PIX

pytestmark = pytest.mark.skipif(not (dist.is_available() and dist.is_gloo_available()),
                                reason="this torch build has no torch.distributed with gloo")

HERE = Path(__file__).parent
#: A process killed, or a run stopping because one was, must be over within this many seconds.
BOUNDED_EXIT_S = 60
PARITY_GAN = dict(model="mlp-gan", data="ring8", steps=12, batch_size=32, seed=3, device="cpu", checkpoint_every=4,
                  sample_every=100, log_every=4, config={"hidden": 32, "depth": 2, "r1_every": 3, "ema_start": 4})
PARITY_VAE = dict(model="vae", data="digits", steps=8, batch_size=16, seed=3, device="cpu", checkpoint_every=4,
                  sample_every=100, log_every=4, config={"width": 4, "latent_dim": 4})
#: No random jitter or mirroring (each process draws its own), instance norm (batch norm's statistics are per process).
PARITY_PIX2PIX = dict(model="pix2pix", data="edges:digits@:32", steps=6, batch_size=8, seed=3, device="cpu",
                      checkpoint_every=3, sample_every=100, log_every=3,
                      config={**TINY_PIX2PIX, "jitter": 0.0, "flip": False, "norm": "instance"})
#: vq-vae in both stages (steps 1-4 the autoencoder, 5-8 the prior); parity needs no random draws in training,
#: so no dead-code restarts and no dropout there (the "vq-restarts" job has both, and only checks the ranks agree).
PARITY_VQ = dict(model="vq-vae", data="digits", steps=8, batch_size=16, seed=3, device="cpu", checkpoint_every=4,
                 sample_every=100, log_every=4,
                 config={**VQ_TEST_CONFIG, "restart_threshold": 0.0, "prior_dropout": 0.0, "codebook_size": 4})
EVAL = dict(eval_every=12, eval_metrics=["mode_coverage"], eval_samples=400)
#: R1 every 3 steps, the EMA past its warm-up, the learning rate decaying over the second half.
GAN_TRAIN = ["train", "mlp-gan", "--data", "ring8", "--steps", "240", "--batch-size", "16", "--seed", "5",
             "--device", "cpu", "--checkpoint-every", "20", "--sample-every", "100", "--log-every", "10", "--quiet",
             "--set", "hidden=16", "--set", "depth=1", "--set", "r1_every=3", "--set", "ema_start=5"]
#: No --out, not --quiet: rank 0 alone claims runs/mlp-gan-1, prints and writes status.json.
DEFAULT_OUT_TRAIN = ["train", "mlp-gan", "--data", "ring8", "--steps", "5", "--device", "cpu", "--log-every", "5",
                     "--set", "hidden=8", "--set", "depth=1"]
CYCLEGAN = dict(model="cyclegan", steps=6, batch_size=2, seed=1, device="cpu", checkpoint_every=2, sample_every=3,
                log_every=1, config=TINY_CYCLEGAN)


def torchrun(*args: str, **popen) -> subprocess.Popen:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)


def run_jobs(folder: Path, name: str, jobs: list[dict]) -> tuple[int, str, dict[str, list[dict]]]:
    """Run ``jobs`` under torchrun; ``(exit code, output, {job: [rank 0's result, rank 1's]})``."""
    (folder / name).mkdir()
    (folder / f"{name}.json").write_text(json.dumps(jobs))
    process = torchrun(str(HERE / "distributed_jobs.py"), str(folder / f"{name}.json"), str(folder / name))
    output, _ = process.communicate(timeout=600)
    results = {job["name"]: [json.loads(p.read_text()) if p.is_file() else None
                             for p in (folder / name / f"{job['name']}-rank{r}.json" for r in range(2))]
               for job in jobs}
    return process.returncode, output, results


def rank_pid(launcher: subprocess.Popen, rank: int) -> int:
    """The process id of ``rank`` among torchrun's workers, once it has started."""
    while launcher.poll() is None:
        for child in subprocess.run(["pgrep", "-P", str(launcher.pid)], capture_output=True, text=True).stdout.split():
            try:
                if f"RANK={rank}".encode() in Path(f"/proc/{child}/environ").read_bytes().split(b"\0"):
                    return int(child)
            except OSError:
                continue
        time.sleep(0.05)
    raise AssertionError(f"torchrun ended before a worker with RANK={rank} started")


@pytest.fixture(scope="module")
def launches(tmp_path_factory):
    root = tmp_path_factory.mktemp("ddp")
    write_images(root / "up" / "trainA", 6, (16, 16), seed=1)
    write_images(root / "up" / "trainB", 5, (16, 16), seed=2)
    cyclegan = {**CYCLEGAN, "data": f"unpaired:{root / 'up'}"}
    facts: dict = {"root": root, "cyclegan": cyclegan}

    first = [
        {"name": "parity-gan", "split_noise": True, "api": {**PARITY_GAN, **EVAL, "out": str(root / "parity-gan")}},
        {"name": "parity-vae", "split_noise": True, "api": {**PARITY_VAE, "out": str(root / "parity-vae")}},
        {"name": "parity-pix2pix", "api": {**PARITY_PIX2PIX, "out": str(root / "parity-pix2pix")}},
        {"name": "parity-vq", "api": {**PARITY_VQ, "out": str(root / "parity-vq")}},
        {"name": "vq-restarts", "api": {**PARITY_VQ, "config": VQ_TEST_CONFIG, "out": str(root / "vq-restarts")}},
        {"name": "sync", "sync_check": True},
        {"name": "ada", "ada_check": True},
        {"name": "differ", "perturb_at": 2, "api": {**PARITY_GAN, "steps": 6, "config": {"hidden": 8, "depth": 1},
                                                     "checkpoint_every": 3, "log_every": 2, "out": str(root / "differ")}},
        {"name": "gan-once", "cli": [*GAN_TRAIN, "--out", str(root / "gan-once")]},
        {"name": "cyclegan-once", "api": {**cyclegan, "out": str(root / "cyclegan-once")}},
        {"name": "default-out", "cwd": str(root / "default-out"), "cli": DEFAULT_OUT_TRAIN},
        {"name": "cyclegan-split", "kill_after_checkpoint": 4, "api": {**cyclegan, "out": str(root / "cyclegan-split")}},
    ]
    (root / "default-out").mkdir()
    began = time.monotonic()
    facts["first"] = run_jobs(root, "first", first)
    facts["first_seconds"] = time.monotonic() - began  # the killed rank 0 ends it

    killed = torchrun("-m", "gensynth", *GAN_TRAIN, "--out", str(root / "gan-split"))
    rank_1 = rank_pid(killed, 1)
    first_checkpoint = root / "gan-split" / "checkpoints" / "step-00000020"
    while not first_checkpoint.is_dir() and killed.poll() is None:
        time.sleep(0.002)
    os.kill(rank_1, signal.SIGKILL)
    began = time.monotonic()
    facts["killed_output"] = killed.communicate(timeout=BOUNDED_EXIT_S + 60)[0]
    facts["killed"] = (killed.returncode, time.monotonic() - began)
    facts["killed_at"] = RunDir(root / "gan-split").latest_checkpoint()[0]

    resume = [{"name": "gan-resume", "cli": [*GAN_TRAIN, "--out", str(root / "gan-split"), "--resume"]},
              # refused in both processes of the script's group, which then goes on with the next job in step
              {"name": "cyclegan-other-batch", "api": {**cyclegan, "out": str(root / "cyclegan-split"), "resume": True,
                                                       "batch_size": 4}},
              {"name": "cyclegan-resume", "api": {**cyclegan, "out": str(root / "cyclegan-split"), "resume": True}}]
    facts["resume"] = run_jobs(root, "resume", resume)
    return facts


def weights(run: Path) -> dict[str, torch.Tensor]:
    return load_file(str(RunDir(run).weights_path))


def latest_state(run: Path) -> dict:
    rundir = RunDir(run)
    return rundir.load_checkpoint(rundir.latest_checkpoint()[1])[1]


def assert_same_run(a: Path, b: Path) -> None:
    """Bit-exact: weights, optimizer moments, every process's random state and model training state; rank 0 alone
    locked the run (another rank's lock would have refused it) and let go of it."""
    assert not (a / ".lock").exists() and not (b / ".lock").exists()
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)
    sa, sb = latest_state(a), latest_state(b)
    assert sa["step"] == sb["step"] and sa["world_size"] == sb["world_size"] == 2
    for name, state in sa["optimizers"].items():
        for index, tensors in state["state"].items():
            assert all(torch.equal(v, sb["optimizers"][name]["state"][index][k]) for k, v in tensors.items())
    for ranks in ([sa, *sa["other_ranks"]], [sb, *sb["other_ranks"]]):
        assert len(ranks) == 2
    for ra, rb in zip([sa, *sa["other_ranks"]], [sb, *sb["other_ranks"]]):
        assert torch.equal(ra["rng"]["torch"], rb["rng"]["torch"])
        assert ra["model"].keys() == rb["model"].keys()
        assert all(torch.equal(ra["model"][k], rb["model"][k]) for k in ra["model"])


# -- what the launches show ------------------------------------------------------------


def test_two_processes_at_half_the_batch_train_as_one_at_the_full_batch(launches, tmp_path):
    code, output, results = launches["first"]
    root = launches["root"]
    for job, options in (("parity-gan", PARITY_GAN), ("parity-vae", PARITY_VAE), ("parity-vq", PARITY_VQ),
                         ("parity-pix2pix", PARITY_PIX2PIX)):
        assert [r["error"] for r in results[job]] == [None, None], output[-3000:]
        with split_noise():
            api.train(**options, out=tmp_path / job)
        one, two = weights(tmp_path / job), weights(root / job)
        assert one.keys() == two.keys()
        for key in [k for k in one if k.endswith("self_attn.in_proj_bias")]:
            # attention is invariant to the key bias: its gradient is rounding noise, which Adam normalises to
            # steps of the learning rate's size, different for different summation orders; compare q and v only
            third = len(one[key]) // 3
            one[key], two[key] = (torch.cat([w[:third], w[2 * third:]]) for w in (one[key], two[key]))
        cancelled = cancelled_biases(api.load_run(tmp_path / job, "cpu")) if job == "parity-pix2pix" else set()
        for key in one.keys() - cancelled:
            torch.testing.assert_close(two[key], one[key], rtol=1e-5, atol=1e-6, msg=f"{job}: {key}")
        if cancelled:
            x = torch.rand(4, 1, 16, 16) * 2 - 1
            translated = [api.load_run(run, "cpu").translate(x) for run in (tmp_path / job, root / job)]
            torch.testing.assert_close(translated[1], translated[0], rtol=1e-4, atol=1e-5)
        # the processes' copies were checked identical at every checkpoint; they end identical too
        assert results[job][0]["digest"] == results[job][1]["digest"]


def cancelled_biases(model: torch.nn.Module) -> set[str]:
    """The biases of the layers an instance norm follows. The norm removes any per-channel constant, so
    their true gradient is zero and Adam turns the rounding noise of the computed one into steps of the
    learning rate's size: they differ between any two orders of summation, and change no output."""
    modules = list(model.named_modules())
    return {f"{name}.bias" for (name, module), (_, following) in zip(modules, modules[1:])
            if isinstance(following, torch.nn.InstanceNorm2d) and getattr(module, "bias", None) is not None}


def test_vq_vae_codebook_and_restarts_stay_the_same_in_every_process(launches):
    """The quantizer sums its batch statistics over the processes and restarts dead codes on rank 0's draws."""
    code, output, results = launches["first"]
    assert [r["error"] for r in results["vq-restarts"]] == [None, None], output[-3000:]
    assert results["vq-restarts"][0]["digest"] == results["vq-restarts"][1]["digest"]


def test_rank_0_alone_chooses_the_default_folder_prints_progress_and_writes_the_status(launches):
    _, output, results = launches["first"]
    assert [r["error"] for r in results["default-out"]] == [None, None], output[-3000:]
    runs = launches["root"] / "default-out" / "runs"
    assert [p.name for p in runs.iterdir()] == ["mlp-gan-1"]
    assert json.loads((runs / "mlp-gan-1" / "status.json").read_text())["status"] == "completed"
    lines = output.splitlines()
    assert sum(line.endswith(" into runs/mlp-gan-1") for line in lines) == 1, output[-3000:]
    assert sum(line.startswith("gan:mlp-gan step 5/5 (100%)  d=") for line in lines) == 1, output[-3000:]
    assert sum(line.startswith("Trained gan:mlp-gan to step 5 in runs/mlp-gan-1") for line in lines) == 1


def test_evaluation_during_training_equals_one_process_evaluating_the_weights(launches):
    root = launches["root"] / "parity-gan"
    during = json.loads((root / "eval" / "step-00000012.json").read_text())["results"][0]["values"]
    after = api.evaluate(root, ["mode_coverage"], num_samples=EVAL["eval_samples"], device="cpu", save=False)
    assert during == after.results[0].values


def test_statistics_are_averaged_and_other_buffers_taken_from_rank_0(launches):
    _, output, results = launches["first"]
    for rank, result in enumerate(results["sync"]):
        assert result is not None, output[-3000:]
        assert result["running_mean"] == [0.5, 0.5] and result["counter"] == [0.0], rank


def test_ada_reduces_r_t_over_the_processes_so_that_every_one_has_the_same_p(launches):
    _, output, results = launches["first"]
    # 2 steps x (3 images at +1 on rank 0, 1 at -1 on rank 1): r_t = (6 - 2) / 8 = 0.5 < 0.6, so p falls by
    # 8 images / 1,000 (rank 0 alone would have seen r_t = 1 and raised p)
    assert results["ada"] == [{"rt": 0.5, "p": 0.5 - 8 / 1000}] * 2, output[-3000:]


def test_processes_whose_weights_differ_are_stopped(launches):
    _, output, results = launches["first"]
    errors = [r["error"] for r in results["differ"]]
    assert errors[0] == errors[1] and "differs between the processes at step 3" in errors[0], output[-3000:]
    assert RunDir(launches["root"] / "differ").latest_checkpoint() is None  # nothing written from differing copies


def test_a_killed_rank_ends_the_run_in_bounded_time_and_the_same_command_resumes_bit_exactly(launches):
    root = launches["root"]
    code, output, _ = launches["first"]
    assert code != 0 and launches["first_seconds"] < 600  # rank 0 killed itself: the launch failed, did not hang
    killed_code, seconds = launches["killed"]
    assert killed_code != 0 and seconds < BOUNDED_EXIT_S, launches["killed_output"][-3000:]
    assert launches["killed_at"] < 240  # the resume below continues from the last checkpoint before the kill
    code, output, results = launches["resume"]
    refused = results.pop("cyclegan-other-batch")
    assert code == 0 and [r["error"] for job in results.values() for r in job] == [None] * 4, output[-3000:]
    assert [r["error"] for r in refused] == ["cannot resume with another batch size: checkpoint step-00000004 was "
                                             "trained with batch_size=2; drop batch_size or start a new run"] * 2
    assert_same_run(root / "gan-once", root / "gan-split")
    assert_same_run(root / "cyclegan-once", root / "cyclegan-split")
    cyclegan = latest_state(root / "cyclegan-split")
    assert all(len(rank["model"]["pool_a"]) == 4 for rank in [cyclegan, *cyclegan["other_ranks"]])


def test_resuming_with_another_number_of_processes_is_refused_in_one_line_unless_asked(launches):
    run = launches["root"] / "gan-split"
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    assert latest_state(run)["world_size"] == 2
    result = CliRunner().invoke(cli, [*GAN_TRAIN, "--out", str(run), "--resume", "--steps", "250"])
    assert result.exit_code == 1, (result.exception, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot resume bit-exactly: checkpoint step-00000240 "
                                                   "was written by 2 processes and this run has 1 process; launch 2 (torchrun")
    assert "--allow-world-size-change" in lines[0]
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before  # a refusal changes nothing
    result = CliRunner().invoke(cli, [*GAN_TRAIN, "--out", str(run), "--resume", "--steps", "250",
                                      "--allow-world-size-change", "--extend"])  # mlp-gan's schedules end at 240
    assert result.exit_code == 0, result.output
    state = latest_state(run)
    assert state["step"] == 250 and state["world_size"] == 1 and state["other_ranks"] == []


# -- the parts, in one process -------------------------------------------------------------


def test_each_process_takes_its_share_of_the_global_batch_in_the_single_process_order():
    data = TensorData(torch.arange(40.0).unsqueeze(1), torch.arange(40), num_classes=40)
    whole = open_batches(data, 8, seed=2, start_step=3)
    halves = [open_batches(data, 8, seed=2, start_step=3, rank=r, world_size=2) for r in range(2)]
    for _ in range(6):  # across an epoch boundary
        expected = next(whole)["y"]
        assert torch.equal(torch.cat([next(h)["y"] for h in halves]), expected)
    domains = {"a": data, "b": TensorData(torch.zeros(12, 1), torch.arange(12), num_classes=12)}
    whole, halves = open_batches(domains, 4, 1), [open_batches(domains, 4, 1, rank=r, world_size=2) for r in range(2)]
    for _ in range(4):
        expected, parts = next(whole), [next(h) for h in halves]
        assert all(torch.equal(torch.cat([p[d]["y"] for p in parts]), expected[d]["y"]) for d in domains)
    with pytest.raises(GensynthError, match=r"batch_size=9 is the global batch and must split evenly over the 2 "
                                            r"processes; use 8 or 10"):
        open_batches(data, 9, 0, rank=0, world_size=2)


def test_rank_0_keeps_the_run_seed_and_every_rank_has_its_own():
    assert rank_seed(7, 0) == 7
    seeds = {rank_seed(7, r) for r in range(1, 9)} | {rank_seed(8, r) for r in range(1, 9)}
    assert len(seeds) == 16 and all(0 <= s < 2**63 for s in seeds)


def test_what_each_optimizer_trains_is_the_model_s_own_modules():
    gan = api.build_model(api.model_spec("mlp-gan"), api.make_config(api.model_spec("mlp-gan"), {"hidden": 8}))
    keys = list(gan.state_dict())
    held = {name: TrainedBy(gan, opt, name, torch.device("cpu")) for name, opt in gan.configure_optimizers().items()}
    assert list(held["g"].networks) == [gan.gen] and list(held["d"].networks) == [gan.disc]
    assert len(held["g"].loose) == 0 and list(gan.state_dict()) == keys  # the model itself is unchanged

    class Partly(Model):
        def __init__(self):
            super().__init__(None)
            self.net, self.scale = nn.Linear(2, 2), nn.Parameter(torch.ones(()))
            self.frozen = nn.Linear(2, 2)

    model = Partly()
    optimizer = torch.optim.SGD([*model.net.parameters(), model.scale], lr=0.1)
    trained = TrainedBy(model, optimizer, "all", torch.device("cpu"))
    assert list(trained.networks) == [model.net] and list(trained.loose) == [model.scale]
    with pytest.raises(GensynthError, match="trains a tensor that is not an nn.Parameter"):
        TrainedBy(model, torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1), "stray", torch.device("cpu"))


def test_the_default_statistics_sync_averages_every_running_mean_and_variance():
    class Normed(Model):
        def __init__(self):
            super().__init__(None)
            self.bn, self.inorm = nn.BatchNorm1d(2), nn.InstanceNorm1d(2, track_running_stats=True)
            self.plain = nn.InstanceNorm1d(2)

    seen: list[torch.Tensor] = []
    model = Normed()
    model.sync_statistics(seen.append)
    assert [id(t) for t in seen] == [id(model.bn.running_mean), id(model.bn.running_var),
                                     id(model.inorm.running_mean), id(model.inorm.running_var)]


def test_a_process_group_needs_torchrun_and_one_gpu_per_process(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    with pytest.raises(GensynthError, match="WORLD_SIZE=2 but MASTER_ADDR is not set: launch several processes with "
                                            "torchrun"):
        Runtime.create("cpu")
    with pytest.raises(GensynthError, match="under torchrun each process takes the GPU of its LOCAL_RANK"):
        Runtime.create("cuda:1")
    with pytest.raises(GensynthError, match="device='mps' cannot train with several processes"):
        Runtime.create("mps")
