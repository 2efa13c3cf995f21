"""gensynth's DCGAN (default recipe) against a plain hand-written DCGAN loop on MNIST, at equal wall time,
and the Trainer's throughput against that loop on the same architecture, batch and data.

Data: the MNIST test set read by the ``mnist:PATH`` data source, the first
8,000 images to train (``@:8000``) and the last 2,000 held out (``@8000:``).

1. **Quality at equal wall time.** ``gensynth`` trains ``dcgan`` with its default
   recipe for ``--steps`` steps through its Trainer (as ``gensynth train`` does,
   no progress bar); its wall time T is measured. The plain loop (the classic
   DCGAN: BatchNorm generator and discriminator, non-saturating BCE loss, Adam
   2e-4 / (0.5, 0.999), batch 128, the same widths as ``dcgan``'s defaults) then
   trains for the same T seconds. Both are scored with FID and KID in the
   feature space of the domain classifier (``--extractor classifier``, trained
   on the 8,000 training images) from 2,000 samples against the 2,000 held-out images.
2. **Throughput.** ``dcgan`` with the ``classic`` recipe (the plain loop's
   architecture, loss and optimiser) and batch 128 through the Trainer, with its
   progress bar, default logging, previews every 500 steps and checkpoints every
   500 steps, against the plain loop for the same ``--throughput-steps``, each
   timed from its first step to its end (the Trainer's last checkpoint included,
   setup excluded); three alternating rounds, median ratio plain time / Trainer
   time (target at least 0.97).

    python benchmarks/dcgan_vs_plain.py [--data ../shared/data/mnist] [--steps 4000] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gensynth import DataRequest, api, hookimpl, load_data
from gensynth._metadata.config import parse_assignments
from gensynth._evaluation.session import Evaluation
from gensynth._discovery.registry import get_registry
from mnist_split import add_data_option, mnist_splits

PLAIN_BATCH = 128


def plain_networks(latent_dim: int = 100, g_width: int = 32, d_width: int = 16) -> tuple[nn.Module, nn.Module]:
    """The classic DCGAN at 28 px, written out: 7x7 projection, two stride-2 doublings, BatchNorm, tanh."""
    gen = nn.Sequential(
        nn.Unflatten(1, (latent_dim, 1, 1)),
        nn.ConvTranspose2d(latent_dim, 2 * g_width, 7, 1, 0, bias=False), nn.BatchNorm2d(2 * g_width), nn.ReLU(True),
        nn.ConvTranspose2d(2 * g_width, g_width, 4, 2, 1, bias=False), nn.BatchNorm2d(g_width), nn.ReLU(True),
        nn.ConvTranspose2d(g_width, 1, 4, 2, 1, bias=False), nn.Tanh(),
    )
    disc = nn.Sequential(
        nn.Conv2d(1, d_width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
        nn.Conv2d(d_width, 2 * d_width, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * d_width), nn.LeakyReLU(0.2, True),
        nn.Conv2d(2 * d_width, 1, 7, 1, 0, bias=False), nn.Flatten(),
    )
    for module in list(gen.modules()) + list(disc.modules()):
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(module.weight, 0.0, 0.02)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.normal_(module.weight, 1.0, 0.02)
            nn.init.zeros_(module.bias)
    return gen, disc


class PlainDCGAN:
    """The reference training loop: shuffle each epoch, one D step and one G step per batch."""

    def __init__(self, x: torch.Tensor, seed: int) -> None:
        torch.manual_seed(seed)
        self.x = x
        self.gen, self.disc = plain_networks()
        self.opt_g = torch.optim.Adam(self.gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.batches = iter(())
        self.steps = 0

    def next_batch(self) -> torch.Tensor:
        batch = next(self.batches, None)
        if batch is None:
            order = torch.randperm(len(self.x))
            self.batches = iter(self.x[order[i:i + PLAIN_BATCH]] for i in range(0, len(order) - PLAIN_BATCH + 1, PLAIN_BATCH))
            batch = next(self.batches)
        return batch

    def step(self) -> None:
        real = self.next_batch()
        fake = self.gen(torch.randn(len(real), 100))
        real_logits, fake_logits = self.disc(real), self.disc(fake.detach())
        loss_d = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                  + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        fake_logits = self.disc(fake)
        loss_g = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.steps += 1

    def train_for(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            self.step()

    def as_model(self):
        """The trained generator inside a gensynth ``dcgan`` (classic recipe: no EMA), for evaluation."""
        spec = api.model_spec("dcgan")
        model = api.build_model(spec, api.make_config(spec, spec.recipe("classic").config))
        model.gen.load_state_dict(self.gen.state_dict())
        return model.eval()


class Stopwatch:
    """Lifecycle hooks timing a run from its start (setup done) to its end (last checkpoint written)."""

    @hookimpl
    def on_run_start(self, run) -> None:
        self.began = time.perf_counter()

    @hookimpl
    def on_run_end(self, run, status) -> None:
        self.seconds = time.perf_counter() - self.began


def train_ours(train_spec: str, out: Path, steps: int, recipe: str | None, seed: int, **options) -> float:
    """Train ``dcgan`` as ``gensynth train`` does; returns the seconds from the first step to the end."""
    watch = Stopwatch()
    api.train("dcgan", train_spec, out, steps=steps, recipe=recipe, seed=seed, device="cpu", hooks=[watch], **options)
    return watch.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_option(parser)
    parser.add_argument("--steps", type=int, default=4000, help="steps of the default recipe; sets the wall time")
    parser.add_argument("--recipe", help="recipe of dcgan compared with the plain loop [default: its default]")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config value over the recipe's")
    parser.add_argument("--throughput-steps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train_spec, held_out_spec = mnist_splits(args.data)
    registry = get_registry()
    root = Path(tempfile.mkdtemp(prefix="dcgan-vs-plain-"))
    print(f"MNIST test set: 8,000 training / 2,000 held-out images; seed {args.seed}; {args.threads} thread(s); runs in {root}")

    if not args.skip_quality:
        seconds = train_ours(train_spec, root / "ours", args.steps, args.recipe, args.seed,
                             config=parse_assignments(args.set))
        recipe = (args.recipe or api.model_spec("dcgan").default_recipe) + "".join(f", {item}" for item in args.set)
        x = load_data(train_spec, DataRequest(image_size=28, channels=1), registry).x
        plain = PlainDCGAN(x, args.seed)
        plain.train_for(seconds)
        evaluation = Evaluation(["fid", "kid"], held_out_spec, DataRequest(image_size=28, channels=1), registry,
                                device=torch.device("cpu"), num_samples=2000, seed=args.seed,
                                extractor="classifier", classifier_data=train_spec)
        ours = {r.metric.split(':')[-1]: r.values for r in evaluation.run(api.load_run(root / "ours"), api.model_spec("dcgan"))}
        theirs = {r.metric.split(':')[-1]: r.values for r in evaluation.run(plain.as_model(), api.model_spec("dcgan"))}
        print(f"\nequal wall time {seconds:.0f} s: dcgan recipe {recipe!r} {args.steps} steps; "
              f"plain loop {plain.steps} steps of batch {PLAIN_BATCH}")
        print("| metric (classifier features, 2,000 vs 2,000 held out) | gensynth dcgan | plain DCGAN loop | ratio ours/plain |")
        print("|---|---|---|---|")
        for key in ("fid", "kid"):
            a, b = ours[key][key], theirs[key][key]
            print(f"| {key} | {a:.3f} | {b:.3f} | {a / b:.3f} |")

    if not args.skip_throughput:
        x = load_data(train_spec, DataRequest(image_size=28, channels=1), registry).x
        trainer_times, plain_times = [], []
        for round_ in range(3):
            trainer_times.append(train_ours(train_spec, root / f"throughput-{round_}", args.throughput_steps, "classic",
                                            args.seed, progress=True))
            plain = PlainDCGAN(x, args.seed)
            began = time.perf_counter()
            for _ in range(args.throughput_steps):
                plain.step()
            plain_times.append(time.perf_counter() - began)
        ratios = [p / t for p, t in zip(plain_times, trainer_times)]
        print(f"\nthroughput, {args.throughput_steps} steps of batch {PLAIN_BATCH}, classic recipe vs plain loop, 3 rounds:")
        print(f"Trainer {', '.join(f'{t:.1f}' for t in trainer_times)} s; plain {', '.join(f'{t:.1f}' for t in plain_times)} s")
        print(f"ratio plain time / Trainer time: median {statistics.median(ratios):.3f} "
              f"({', '.join(f'{r:.3f}' for r in ratios)}); target >= 0.97")


if __name__ == "__main__":
    main()
