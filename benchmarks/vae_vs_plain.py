"""gensynth's built-in VAE against a plain hand-written PyTorch VAE on MNIST: held-out negative ELBO and time per epoch.

Data: the MNIST test set (t10k, 10,000 images) read by the ``mnist:PATH`` data
source, permuted with a fixed seed and split into 8,000 training and 2,000
held-out images. The plain VAE is the classic two-layer MLP of PyTorch's VAE
example (784-400-20 encoder with mean and log-variance heads, 20-400-784
decoder, Bernoulli likelihood, Adam 1e-3). The built-in ``vae`` trains with its
default config through gensynth's Trainer, exactly as ``gensynth train`` does.

Both train for the same epochs with the same batch size and seed, in
alternation: after each epoch of the built-in VAE (timed by a lifecycle hook),
the plain VAE trains one epoch (timed apart), so both see the same machine
load. Each held-out negative ELBO is the mean over the 2,000 images of
``--eval-repeats`` single-sample estimates (nats per image, the grey values
used as Bernoulli probabilities by both).

Targets: the built-in VAE's held-out negative ELBO is lower, and its median
epoch takes at most 1.5x the plain VAE's.

    python benchmarks/vae_vs_plain.py [--data ../shared/data/mnist] [--epochs 10] [--batch-size 64] [--threads 1]
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

from gensynth import DataRequest, TensorData, api, hookimpl, load_data
from gensynth._metadata.config import parse_assignments
from gensynth._discovery.registry import get_registry
from gensynth._training.options import TrainOptions
from gensynth._training.trainer import Trainer

REPO = Path(__file__).resolve().parent.parent
TRAIN_SIZE, HELD_OUT_SIZE = 8000, 2000


class PlainVAE(nn.Module):
    """The MLP VAE of pytorch/examples (vae/main.py); logits + BCE-with-logits instead of sigmoid + BCE."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def negative_elbo(self, u: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Per-image negative ELBO (nats) of pixels ``u`` (N, 784) in [0, 1], one posterior sample."""
        h = F.relu(self.fc1(u))
        mean, log_var = self.fc21(h), self.fc22(h)
        z = mean + torch.exp(0.5 * log_var) * torch.randn(mean.shape, generator=generator)
        logits = self.fc4(F.relu(self.fc3(z)))
        recon = F.binary_cross_entropy_with_logits(logits, u, reduction="none").sum(1)
        return recon - 0.5 * (1 + log_var - mean.square() - log_var.exp()).sum(1)


class PlainTraining:
    """The plain VAE's training loop, one epoch per call, with its own generators (the global RNG is untouched)."""

    def __init__(self, pixels: torch.Tensor, batch_size: int, seed: int) -> None:
        torch.manual_seed(seed)
        self.model = PlainVAE()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.pixels, self.batch_size = pixels, batch_size
        self.order = torch.Generator().manual_seed(seed)
        self.noise = torch.Generator().manual_seed(seed + 1)
        self.epoch_seconds: list[float] = []

    def epoch(self) -> None:
        began = time.perf_counter()
        order = torch.randperm(len(self.pixels), generator=self.order)
        for start in range(0, len(order) - self.batch_size + 1, self.batch_size):  # drop the last partial batch
            batch = self.pixels[order[start:start + self.batch_size]]
            loss = self.model.negative_elbo(batch, self.noise).mean()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        self.epoch_seconds.append(time.perf_counter() - began)


class Alternate:
    """Lifecycle hook: times each epoch of the built-in VAE, then runs one epoch of the plain VAE."""

    def __init__(self, plain: PlainTraining) -> None:
        self.plain = plain
        self.epoch_seconds: list[float] = []
        self.began = 0.0

    @hookimpl
    def on_run_start(self, run) -> None:
        self.began = time.perf_counter()

    @hookimpl
    def on_epoch_end(self) -> None:
        self.epoch_seconds.append(time.perf_counter() - self.began)
        self.plain.epoch()
        self.began = time.perf_counter()


def held_out_nelbo(negative_elbo, x: torch.Tensor, repeats: int, seed: int) -> float:
    """Mean over images and ``repeats`` single-sample estimates of ``negative_elbo(x) -> (N,)``."""
    torch.manual_seed(seed)
    with torch.no_grad():
        return float(torch.stack([negative_elbo(x) for _ in range(repeats)]).double().mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "mnist"),
                        help="folder with the MNIST IDX files (t10k-images-idx3-ubyte.gz, ...)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads for both models (1: robust timings on a machine shared with other work)")
    parser.add_argument("--eval-repeats", type=int, default=10, help="single-sample ELBO estimates per held-out image")
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                        help="override a field of the built-in VAE's config (default: none)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    registry = get_registry()
    spec = api.model_spec("vae", registry)
    config = api.make_config(spec, parse_assignments(args.assignments))
    if not Path(args.data).is_dir():
        raise SystemExit(f"no folder {args.data}: pass --data with the folder that holds the MNIST IDX files")
    data = load_data(f"mnist:{args.data}", DataRequest(image_size=28, channels=1), registry)
    if len(data) < TRAIN_SIZE + HELD_OUT_SIZE:
        raise SystemExit(f"{args.data} holds {len(data)} images; the benchmark needs the 10,000 of the MNIST test set")
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(args.seed))
    train_x, held_out_x = data.x[order[:TRAIN_SIZE]], data.x[order[TRAIN_SIZE:TRAIN_SIZE + HELD_OUT_SIZE]]
    steps_per_epoch = TRAIN_SIZE // args.batch_size

    plain = PlainTraining(((train_x + 1) / 2).flatten(1), args.batch_size, args.seed)
    clock = Alternate(plain)
    model = api.build_model(spec, config, seed=args.seed)
    options = TrainOptions(steps=args.epochs * steps_per_epoch, batch_size=args.batch_size, seed=args.seed,
                           log_every=steps_per_epoch, sample_every=10**9, checkpoint_every=10**9, device="cpu")
    with tempfile.TemporaryDirectory() as run_dir:
        Trainer(model, TensorData(train_x, source="mnist test set, 8,000 training images"), run_dir, options,
                model_id=spec.id, manager=registry.manager, hooks=[clock], progress=False).fit()
    model.eval()

    ours = held_out_nelbo(lambda x: -model.elbo(x), held_out_x, args.eval_repeats, args.seed)
    noise = torch.Generator().manual_seed(args.seed)
    theirs = held_out_nelbo(lambda x: plain.model.negative_elbo(((x + 1) / 2).flatten(1), noise),
                            held_out_x, args.eval_repeats, args.seed)
    our_epoch, plain_epoch = statistics.median(clock.epoch_seconds), statistics.median(plain.epoch_seconds)
    parameters = sum(p.numel() for p in model.parameters()), sum(p.numel() for p in plain.model.parameters())

    print(f"MNIST test set: {TRAIN_SIZE} training / {HELD_OUT_SIZE} held-out images (seed {args.seed}); "
          f"{args.epochs} epochs, batch size {args.batch_size}, {args.threads} thread(s)")
    print(f"built-in vae  config {config.to_dict()}  ({parameters[0]:,} parameters)")
    print(f"plain MLP VAE 784-400-20, Adam 1e-3  ({parameters[1]:,} parameters)")
    print(f"held-out negative ELBO (nats/image): built-in {ours:.2f}  plain {theirs:.2f}  "
          f"ratio built-in/plain {ours / theirs:.3f}  ({'better' if ours < theirs else 'NOT better'})")
    within = "within" if our_epoch <= 1.5 * plain_epoch else "OVER"
    print(f"median epoch (s):                    built-in {our_epoch:.3f}  plain {plain_epoch:.3f}  "
          f"ratio built-in/plain {our_epoch / plain_epoch:.2f}  ({within} 1.5x)")


if __name__ == "__main__":
    main()
