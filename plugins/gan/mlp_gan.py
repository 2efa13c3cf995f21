"""A GAN of two MLPs for low-dimensional point data (ring8, grid25)."""

from __future__ import annotations

from typing import Callable

from torch import nn

from gensynth import DataRequest
from gensynth.plugins.gan.base import GAN
from gensynth.plugins.gan.config import MLPGANConfig


def mlp(inputs: int, outputs: int, hidden: int, depth: int, activation: Callable[[], nn.Module]) -> nn.Sequential:
    """``depth`` hidden layers of width ``hidden``, each followed by ``activation``, then a linear output."""
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(inputs if i == 0 else hidden, hidden), activation()]
    layers.append(nn.Linear(hidden if depth else inputs, outputs))
    return nn.Sequential(*layers)


class MLPGAN(GAN):
    """ReLU generator with a linear output (points are unbounded) and a LeakyReLU discriminator."""

    config: MLPGANConfig

    def __init__(self, config: MLPGANConfig) -> None:
        super().__init__(
            config,
            gen=mlp(config.latent_dim, config.dim, config.hidden, config.depth, nn.ReLU),
            disc=mlp(config.dim, 1, config.hidden, config.depth, lambda: nn.LeakyReLU(0.2)),
        )

    def data_request(self) -> DataRequest:
        return DataRequest(kind="points", dim=self.config.dim)
