"""CycleGAN training speed: the ``small`` recipe's networks against the reference layout, on the same batches.

Both train on MNIST (A) and scikit-learn's digits (B) at 28 px, batch 16 (the
small recipe's; the same batches for all), in one process with one thread. The
reference layout is the ``reference`` recipe's networks (ngf = ndf = 64, 9
residual blocks as at 256 px, 70x70 PatchGAN) at the same batch size, so the
figure is the cost of the networks alone. Rounds alternate between the layouts (each
round times ``--steps`` full iterations, both phases, after one warm-up
iteration), and the median over rounds is reported. The layout that was the
default before the small recipe (``ngf = ndf = 32``, 6 residual blocks) is measured too.

    python benchmarks/cyclegan_speed.py [--rounds 3] [--steps 5] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

from gensynth import DataRequest, api, load_data  # noqa: E402

LAYOUTS = {
    "small": {"recipe": "small"},
    "previous default": {"recipe": "small", "config": {"ngf": 32, "ndf": 32, "n_blocks": None}},
    "reference layout (256 px)": {"recipe": "reference", "config": {"n_blocks": 9}},
}
BATCH = 16


def build(layout: dict):
    spec = api.model_spec("cyclegan")
    recipe = spec.recipe(layout["recipe"])
    model = api.build_model(spec, api.make_config(spec, {**recipe.config, **layout.get("config", {})}), seed=0)
    return model.train(), model.configure_optimizers(), model.training_phases()


def iterate(parts, batch) -> None:
    model, optimizers, phases = parts
    scratch: dict = {}
    for phase in phases:
        optimizers[phase.optimizer].zero_grad(set_to_none=True)
        loss, _ = phase.loss(batch, scratch)
        loss.backward()
        optimizers[phase.optimizer].step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5, help="timed iterations per layout and round")
    args = parser.parse_args()
    torch.set_num_threads(1)
    request = DataRequest(image_size=28, channels=1)
    data = {"a": load_data(f"mnist:{args.data / 'mnist'}@:8000", request), "b": load_data("digits@:1400", request)}
    generator = torch.Generator().manual_seed(0)
    batches = [{d: {"x": part.x[torch.randint(len(part), (BATCH,), generator=generator)]} for d, part in data.items()}
               for _ in range(args.steps + 1)]
    models = {name: build(layout) for name, layout in LAYOUTS.items()}
    seconds: dict[str, list[float]] = {name: [] for name in LAYOUTS}
    for _ in range(args.rounds):
        for name, parts in models.items():
            iterate(parts, batches[0])  # warm-up
            began = time.perf_counter()
            for batch in batches[1:]:
                iterate(parts, batch)
            seconds[name].append((time.perf_counter() - began) / args.steps)
    print(f"CycleGAN at 28 px, batch {BATCH}, 1 thread, {args.rounds} alternating rounds of {args.steps} iterations; "
          f"load average {os.getloadavg()[0]:.1f}")
    small = statistics.median(seconds["small"])
    for name, times in seconds.items():
        parameters = sum(p.numel() for p in models[name][0].parameters())
        median = statistics.median(times)
        print(f"{name:<28}{parameters / 1e6:>7.2f} M parameters  {median * 1000:>8.0f} ms/step  "
              f"{1 / median:>6.2f} steps/s  {median / small:>6.1f}x the small recipe's time")


if __name__ == "__main__":
    main()
