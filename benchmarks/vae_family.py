"""The VAE family on MNIST under the protocol a user can run: held-out -ELBO and NLL (k = 200), IWAE against
the VAE, and VQ-VAE reconstructions, codebook use and the FID of its prior's samples.

Data: the MNIST test set read by ``mnist:PATH``: the first 8,000 images train
(``mnist:PATH@:8000``), the last 2,000 are held out (``@8000:``). Every run
trains through ``gensynth.api.train`` (what ``gensynth train`` calls) for
``--epochs`` epochs of batch 64, and is measured through ``gensynth.api.evaluate``
(what ``gensynth evaluate`` calls) on the held-out images, so each figure is
what these commands print::

    gensynth train vae --data mnist:PATH@:8000 --epochs 20 --seed 0 --out RUN
    gensynth evaluate RUN --metrics elbo,nll --param nll.k=200 --reference mnist:PATH@8000:
    gensynth evaluate RUN --metrics reconstruction,code_usage,fid --reference mnist:PATH@8000: \\
        --classifier-data mnist:PATH@:8000 --num-samples 2000          # vq-vae, and fid of vae

Parts (``--part``, one or more; each appends one JSON line per run to ``--results``,
and ``--report`` prints the tables from that file):

- ``vae``: ``vae`` at its default recipe and at ``--recipe conv`` (the first
  default: plain convolutions, standard normal prior, constant learning rate),
  per seed in alternating order; median wall and CPU seconds per epoch.
- ``iwae``: ``iwae`` with ``k`` = 5 and 50 and the same network (``vae``'s
  default recipe), to compare with the ``vae`` rows at equal epochs.
- ``timing``: time per epoch only, ``vae`` at its default against ``--recipe conv``
  and ``--recipe residual``, ``--rounds`` rounds of ``--epochs`` epochs each (use 2),
  rotating which goes first, no evaluation; the median CPU and wall seconds per
  epoch of each and their ratio to conv (CPU seconds are the fairer figure on a
  shared machine).
- ``steps``: the training step alone (loss, backward, Adam; one fixed batch of 64 MNIST-sized
  binary images, no data loading or logging), ``vae``'s default against ``--recipe conv``,
  ``--recipe residual`` and the default with ``prior=normal``, ``--rounds``
  alternating rounds of 10 steps in one process; median CPU milliseconds per step.
- ``one``: ``--model`` with ``--recipe`` and ``--set`` values (how the defaults were
  chosen: each row of the exploration table in RESULTS.md is one such run).
- ``vqvae``: ``vq-vae`` at its default; held-out PSNR and MSE, codebook
  perplexity and codes used, FID (classifier features; the classifier trained on
  the 8,000 training images) of 2,000 samples from the learned prior, and of
  the independent prior (codes drawn with their frequencies) for scale;
  and the FID of ``vae``'s samples, for comparison (needs the ``vae`` part's runs).

Threads: ``--threads`` (default 1) torch threads; set ``OMP_NUM_THREADS`` to the
same. Runs are kept under ``--runs`` (default: a temporary folder printed first).

    python benchmarks/vae_family.py --part vae --seeds 0 1 --results vae.jsonl
    python benchmarks/vae_family.py --part iwae --results vae.jsonl
    python benchmarks/vae_family.py --part vqvae --results vae.jsonl --runs RUNS   # RUNS of the vae part
    python benchmarks/vae_family.py --report --results vae.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from gensynth import api, hookimpl
from gensynth._metadata.config import parse_assignments
from gensynth._discovery.registry import get_registry
from gensynth._evaluation.session import Evaluation
from mnist_split import add_data_option, mnist_splits

#: The issue's figures for ``vae`` before this change (held-out -ELBO and NLL, k = 200, 20 epochs).
BEFORE = {"neg_elbo": 109.3, "nll": 103.4}
STEPS_PER_EPOCH = 125  # 8,000 images, batch 64: the logging and checkpoint periods


class EpochClock:
    """Lifecycle hook: wall and CPU seconds of each epoch."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    @hookimpl
    def on_run_start(self, run) -> None:
        self.marks = (time.perf_counter(), time.process_time())

    @hookimpl
    def on_epoch_end(self, run, epoch, step) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.wall.append(wall - self.marks[0])
        self.cpu.append(cpu - self.marks[1])
        self.marks = (wall, cpu)


def train(model: str, tag: str, seed: int, args: argparse.Namespace, recipe: str | None = None,
          config: dict[str, Any] | None = None) -> tuple[Path, dict[str, Any]]:
    train_spec, _ = mnist_splits(args.data)
    out = Path(args.runs) / f"{tag}-seed{seed}"
    clock = EpochClock()
    began = time.perf_counter()
    api.train(model, train_spec, out, epochs=args.epochs, recipe=recipe, config=config or {}, seed=seed,
              hooks=[clock], device="cpu", log_every=STEPS_PER_EPOCH, sample_every=10 * STEPS_PER_EPOCH,
              checkpoint_every=10 * STEPS_PER_EPOCH)
    record = {"tag": tag, "model": model, "recipe": recipe, "config": config or {}, "seed": seed,
              "epochs": args.epochs, "train_s": time.perf_counter() - began,
              "epoch_wall_s": statistics.median(clock.wall), "epoch_cpu_s": statistics.median(clock.cpu),
              "load": os.getloadavg()[0]}
    return out, record


def evaluate(run: Path, metrics: list[str], args: argparse.Namespace, **options: Any) -> dict[str, float]:
    train_spec, held_out_spec = mnist_splits(args.data)
    report = api.evaluate(run, metrics, reference=held_out_spec, device="cpu", save=True,
                          classifier_data=train_spec, **options)
    return {name: value for result in report.results for name, value in result.values.items()}


def likelihoods(run: Path, args: argparse.Namespace) -> dict[str, float]:
    return evaluate(run, ["elbo", "nll"], args, params={"nll": {"k": 200}})


def fid(run: Path, args: argparse.Namespace, **options: Any) -> float:
    return evaluate(run, ["fid"], args, num_samples=2000, **options)["fid"]


def save(record: dict[str, Any], args: argparse.Namespace) -> None:
    print(json.dumps(record), flush=True)
    with open(args.results, "a") as f:
        f.write(json.dumps(record) + "\n")


def part_vae(args: argparse.Namespace) -> None:
    for index, seed in enumerate(args.seeds):
        order = [("vae", None), ("vae-conv", "conv")]
        for tag, recipe in order if index % 2 == 0 else order[::-1]:
            run, record = train("vae", tag, seed, args, recipe=recipe)
            save({**record, **likelihoods(run, args), "run": str(run)}, args)


def part_timing(args: argparse.Namespace) -> None:
    for index in range(args.rounds):
        order = [("timing-vae", None), ("timing-conv", "conv"), ("timing-residual", "residual")]
        for tag, recipe in order[index % 3:] + order[:index % 3]:
            run, record = train("vae", f"{tag}-round{index}", 0, args, recipe=recipe)
            save({**record, "tag": tag, "run": str(run)}, args)


def part_steps(args: argparse.Namespace) -> None:
    spec = api.model_spec("vae")
    variants = {"default": {}, "conv": spec.recipe("conv").config, "residual": spec.recipe("residual").config,
                "default, prior=normal": {"prior": "normal"}}
    steppers = {}
    for name, values in variants.items():
        torch.manual_seed(0)
        model = spec.load()(spec.config(**values))
        steppers[name] = (model.configure_optimizers()["vae"], model.training_phases()[0])
    x = (torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0)) > 0.5).float() * 2 - 1
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds + 1):  # the first round warms up and is dropped
        for name, (optimizer, phase) in steppers.items():
            began = time.process_time()
            for _ in range(10):
                optimizer.zero_grad()
                phase.loss({"x": x}, {})[0].backward()
                optimizer.step()
            times[name].append((time.process_time() - began) * 100)  # ms per step
    base = statistics.median(times["conv"][1:])
    for name, values in times.items():
        ms = statistics.median(values[1:])
        save({"tag": f"steps: {name}", "step_cpu_ms": ms, "ratio_to_conv": ms / base, "rounds": args.rounds,
              "load": os.getloadavg()[0]}, args)


def part_iwae(args: argparse.Namespace) -> None:
    for seed in args.seeds:
        for k in args.iwae_k:
            run, record = train("iwae", f"iwae-k{k}", seed, args, config={"k": k})
            save({**record, **likelihoods(run, args), "run": str(run)}, args)


def part_one(args: argparse.Namespace) -> None:
    config = parse_assignments(args.assignments)
    for seed in args.seeds:
        run, record = train(args.model, args.tag or args.model, seed, args, recipe=args.recipe, config=config)
        values = likelihoods(run, args) if args.model != "vq-vae" else evaluate(run, ["reconstruction", "elbo"], args)
        save({**record, **values, "run": str(run)}, args)


def part_vqvae(args: argparse.Namespace) -> None:
    for seed in args.seeds:
        run, record = train("vq-vae", "vq-vae", seed, args)
        values = evaluate(run, ["reconstruction", "code_usage", "elbo"], args)
        save({**record, **values, "fid": fid(run, args), "fid_independent": independent_prior_fid(run, args),
              "run": str(run)}, args)
        vae_run = Path(args.runs) / f"vae-seed{seed}"
        if vae_run.is_dir():
            save({"tag": "vae-samples", "seed": seed, "fid": fid(vae_run, args), "run": str(vae_run)}, args)


def independent_prior_fid(run: Path, args: argparse.Namespace) -> float:
    """FID of samples whose codes are drawn independently with their usage frequencies (for scale)."""
    train_spec, held_out_spec = mnist_splits(args.data)
    model, spec = api.load_run(run), api.model_spec("vq-vae")

    class IndependentPrior(type(model)):
        """The run's model, drawing each code independently whatever its prior has learned."""

        def sample(self, n: int, seed: int | None = None, prior: str | None = None) -> torch.Tensor:
            return super().sample(n, seed, prior="independent")

    model.__class__ = IndependentPrior
    evaluation = Evaluation(["fid"], held_out_spec, model.data_request(), get_registry(), device=torch.device("cpu"),
                            num_samples=2000, classifier_data=train_spec)
    return evaluation.run(model, spec)[0].values["fid"]


def report(args: argparse.Namespace) -> None:
    rows = [json.loads(line) for line in Path(args.results).read_text().splitlines() if line.strip()]
    by_tag: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_tag.setdefault(row["tag"], []).append(row)

    def mean(tag: str, key: str) -> str:
        values = [r[key] for r in by_tag.get(tag, []) if key in r]
        return f"{statistics.mean(values):.2f}" if values else "–"

    def seeds(tag: str, key: str) -> str:
        return " / ".join(f"{r[key]:.2f}" for r in by_tag.get(tag, []) if key in r) or "–"

    print("| run | held-out −ELBO | NLL (k = 200) | per seed (NLL) | epoch wall s | epoch CPU s |")
    print("|---|---|---|---|---|---|")
    print(f"| `vae` before (the issue's figures) | {BEFORE['neg_elbo']} | {BEFORE['nll']} | | | |")
    for tag in [t for t in ("vae-conv", "vae", *sorted(t for t in by_tag if t.startswith("iwae"))) if t in by_tag]:
        print(f"| `{tag}` | {mean(tag, 'neg_elbo')} | {mean(tag, 'nll')} | {seeds(tag, 'nll')} | "
              f"{mean(tag, 'epoch_wall_s')} | {mean(tag, 'epoch_cpu_s')} |")
    if "vae" in by_tag and "vae-conv" in by_tag:
        for key in ("epoch_wall_s", "epoch_cpu_s"):
            ratio = float(mean("vae", key)) / float(mean("vae-conv", key))
            print(f"time per epoch, vae / vae-conv ({key}): {ratio:.2f}")
    if "timing-conv" in by_tag:
        for key in ("epoch_cpu_s", "epoch_wall_s"):
            base = statistics.median(r[key] for r in by_tag["timing-conv"])
            for tag in [t for t in ("timing-vae", "timing-residual") if t in by_tag]:
                a = statistics.median(r[key] for r in by_tag[tag])
                print(f"timing part, {len(by_tag[tag])} rotating rounds: {key} {tag.removeprefix('timing-')} "
                      f"{a:.2f}, conv {base:.2f}, ratio {a / base:.2f}")
    for tag in [t for t in by_tag if t.startswith("steps: ")]:
        row = by_tag[tag][-1]
        print(f"{tag}: {row['step_cpu_ms']:.1f} CPU ms per training step, {row['ratio_to_conv']:.2f}x conv")
    if "vq-vae" in by_tag:
        print("\n| run | PSNR dB | MSE | perplexity | codes used | −ELBO | FID: learned prior | independent prior "
              "| `vae` samples |")
        print("|---|---|---|---|---|---|---|---|---|")
        print(f"| `vq-vae` | {mean('vq-vae', 'psnr')} | {mean('vq-vae', 'mse')} | {mean('vq-vae', 'perplexity')} | "
              f"{mean('vq-vae', 'codes_used')} | {mean('vq-vae', 'neg_elbo')} | {seeds('vq-vae', 'fid')} | "
              f"{seeds('vq-vae', 'fid_independent')} | {seeds('vae-samples', 'fid')} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_option(parser)
    parser.add_argument("--part", nargs="+", choices=("vae", "iwae", "vqvae", "timing", "steps", "one"), default=[])
    parser.add_argument("--model", default="vae", help="part one: the model")
    parser.add_argument("--recipe", help="part one: the recipe [default: the model's default]")
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                        help="part one: a config value over the recipe's")
    parser.add_argument("--tag", help="part one: the run's name in --results [default: the model]")
    parser.add_argument("--report", action="store_true", help="print the tables of --results")
    parser.add_argument("--results", default="vae_family.jsonl", help="JSON lines file the runs append to")
    parser.add_argument("--runs", help="folder for the run directories [default: a new temporary folder]")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=4, help="parts timing and steps: alternating rounds")
    parser.add_argument("--iwae-k", type=int, nargs="+", default=[5, 50])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    args.runs = args.runs or tempfile.mkdtemp(prefix="vae-family-")
    if args.part:
        print(f"runs in {args.runs}; {args.threads} thread(s); load {os.getloadavg()[0]:.1f}", flush=True)
    for part in args.part:
        {"vae": part_vae, "iwae": part_iwae, "vqvae": part_vqvae, "timing": part_timing,
         "steps": part_steps, "one": part_one}[part](args)
    if args.report or not args.part:
        report(args)


if __name__ == "__main__":
    main()
