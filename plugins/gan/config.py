"""Configs of the GAN models (torch-free: ``gensynth info`` reads them without importing torch)."""

from __future__ import annotations

import dataclasses

from gensynth import ModelConfig, field


@dataclasses.dataclass
class DCGANConfig(ModelConfig):
    image_size: int = field(28, help="image height and width in pixels", choices=(28, 32, 64))
    channels: int = field(1, help="image channels: 1 (grey) or 3 (RGB)", choices=(1, 3))
    latent_dim: int = field(100, help="size of the noise vector z fed to the generator")
    g_width: int = field(32, help="generator feature maps in its last hidden layer (doubled at each coarser level)")
    d_width: int = field(
        16,
        help="discriminator feature maps in its first layer (doubled at each coarser level); half of "
        "g_width by default, since with equal widths of 32 the discriminator wins on digits and the "
        "generator collapses to a blank image",
    )
    lr: float = field(2e-4, help="Adam learning rate of both networks")
    beta1: float = field(0.5, help="Adam beta1 of both networks")
    beta2: float = field(0.999, help="Adam beta2 of both networks")
    loss: str = field("bce", help="adversarial loss: any loss registered for the gan family (bce = non-saturating)")


@dataclasses.dataclass
class MLPGANConfig(ModelConfig):
    dim: int = field(2, help="dimension of the data points")
    latent_dim: int = field(16, help="size of the noise vector z fed to the generator")
    hidden: int = field(256, help="width of the hidden layers of both networks")
    depth: int = field(3, help="number of hidden layers of both networks")
    lr: float = field(1e-3, help="Adam learning rate of both networks (high for a GAN, fine for 2D points)")
    beta1: float = field(0.5, help="Adam beta1 of both networks")
    beta2: float = field(0.999, help="Adam beta2 of both networks")
    loss: str = field("bce", help="adversarial loss: any loss registered for the gan family (bce = non-saturating)")
