"""``ring8`` and ``grid25``: 2-D Gaussian mixtures of the VEEGAN/PacGAN mode-collapse protocol.

:func:`mixture_modes` gives the centres and standard deviation so that evaluation
can count covered modes and high-quality samples against the same mixture; the
loaded data carries them in ``info()["mixture"]``, which is how the evaluation
(in the core, which never imports this plugin) finds them.
"""

from __future__ import annotations

import math

import torch

from gensynth import DataRequest, TensorData

NUM_POINTS = 100_000
SEED = 0


def mixture_modes(name: str) -> tuple[torch.Tensor, float]:
    """``(centres (K, 2) float32, std)`` of mixture ``"ring8"`` or ``"grid25"``."""
    if name == "ring8":
        angles = torch.arange(8, dtype=torch.float64) * (2 * math.pi / 8)
        return torch.stack([angles.cos(), angles.sin()], dim=1).float(), 0.01
    if name == "grid25":
        axis = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
        return torch.cartesian_prod(axis, axis), 0.05
    raise ValueError(f"unknown mixture {name!r}: use 'ring8' or 'grid25'")


def sample_mixture(name: str, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` points (n, 2) float32 and their mode indices (n,) int64, modes equally likely."""
    centres, std = mixture_modes(name)
    generator = torch.Generator().manual_seed(seed)
    modes = torch.randint(len(centres), (n,), generator=generator)
    points = centres[modes] + std * torch.randn(n, 2, generator=generator)
    return points, modes


def _load(name: str) -> TensorData:
    """The points, labelled by mode; ``info()["mixture"]`` carries the centres and std for evaluation."""
    points, modes = sample_mixture(name, NUM_POINTS, SEED)
    centres, std = mixture_modes(name)
    facts = {"mixture": {"modes": centres.tolist(), "std": std}}
    return TensorData(points, modes, num_classes=len(centres), facts=facts)


def load_ring8(argument: str, request: DataRequest, *, download: bool = False) -> TensorData:
    """100,000 points of the 8-mode ring, always the same (seed 0); labels are mode indices."""
    return _load("ring8")


def load_grid25(argument: str, request: DataRequest, *, download: bool = False) -> TensorData:
    """100,000 points of the 25-mode grid, always the same (seed 0); labels are mode indices."""
    return _load("grid25")
