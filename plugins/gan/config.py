"""Configs of the GAN models (torch-free: ``gensynth info`` reads them without importing torch)."""

from __future__ import annotations

import dataclasses

from gensynth import ModelConfig, field


@dataclasses.dataclass
class GANConfig(ModelConfig):
    """The adversarial training fields every GAN model shares: loss, regularisers, optimisers, EMA.

    The defaults are each model's default recipe (``gensynth info MODEL``), the one that
    measured best in ``benchmarks/``; the image models share the ``fast`` recipe.
    """

    latent_dim: int = field(100, help="size of the noise vector z fed to the generator", ge=1, le=4096)
    loss: str = field("bce", help="adversarial loss: any loss registered for the gan family "
                                  "(bce = non-saturating, hinge, wgan-gp, lsgan, or a plugin's)")
    lr_g: float = field(2e-4, help="Adam learning rate of the generator", gt=0)
    lr_d: float = field(2e-4, help="Adam learning rate of the discriminator (two time-scale update rule "
                                   "when it differs from lr_g)", gt=0)
    beta1: float = field(0.5, help="Adam beta1 of both networks", ge=0, lt=1)
    beta2: float = field(0.999, help="Adam beta2 of both networks", ge=0, lt=1)
    decay_start: float = field(1.0, help="fraction of the training steps after which both learning rates decay "
                                         "linearly to zero (1: never)", ge=0, le=1)
    n_disc: int = field(1, help="discriminator steps per generator step; every training step is one "
                                "discriminator step on a new batch, so --steps counts discriminator steps", ge=1)
    spectral_norm: bool = field(False, help="spectral normalisation of every discriminator layer")
    r1_gamma: float = field(0.0, help="weight gamma of the R1 penalty gamma/2 * E|grad D(x_real)|^2 (0: off)", ge=0)
    r1_every: int = field(16, help="lazy regularisation: apply the R1 penalty every k steps, scaled by k", ge=1)
    gp_weight: float | None = field(None, help="weight of the gradient penalty E(|grad D(x_mix)| - 1)^2 on "
                                               "real/fake interpolates; none: the loss's own (10 for wgan-gp, "
                                               "0 for the others)", ge=0)
    ema_decay: float = field(0.99, help="decay of the exponential moving average of the generator weights "
                                         "used for sampling and evaluation (0: sample the raw generator)", ge=0, lt=1)
    ema_start: int = field(1000, help="EMA warm-up: the average copies the generator for the first N steps, "
                                      "then averages", ge=0)


@dataclasses.dataclass
class DCGANConfig(GANConfig):
    image_size: int = field(28, help="image height and width in pixels", choices=(28, 32, 64))
    channels: int = field(1, help="image channels: 1 (grey) or 3 (RGB)", choices=(1, 3))
    g_width: int = field(32, help="generator feature maps in its last hidden layer (doubled at each coarser level)", ge=1, le=1024)
    d_width: int = field(
        16,
        help="discriminator feature maps in its first layer (doubled at each coarser level); half of "
        "g_width by default, since with equal widths of 32 the discriminator wins on digits and the "
        "generator collapses to a blank image",
        ge=1, le=1024,
    )
    d_batch_norm: bool = field(True, help="BatchNorm in the discriminator's hidden layers (DCGAN's); turn it off "
                                          "with gradient penalties, which assume per-example gradients, and with "
                                          "spectral_norm")


@dataclasses.dataclass
class CDCGANConfig(DCGANConfig):
    num_classes: int = field(10, help="number of classes the generator (conditional BatchNorm) and the "
                                      "projection discriminator are conditioned on; must match the data's labels", ge=1)


@dataclasses.dataclass
class MLPGANConfig(GANConfig):
    dim: int = field(2, help="dimension of the data points", ge=1)
    latent_dim: int = field(16, help="size of the noise vector z fed to the generator", ge=1, le=4096)
    loss: str = field("hinge", help="adversarial loss: any loss registered for the gan family "
                                    "(bce = non-saturating, hinge, wgan-gp, lsgan, or a plugin's)")
    hidden: int = field(128, help="width of the hidden layers of both networks", ge=1, le=65536)
    depth: int = field(3, help="number of hidden layers of both networks", ge=1, le=64)
    lr_g: float = field(1e-3, help="Adam learning rate of the generator (high for a GAN, fine for 2D points)", gt=0)
    lr_d: float = field(1e-3, help="Adam learning rate of the discriminator", gt=0)
    beta1: float = field(0.5, help="Adam beta1 of both networks", ge=0, lt=1)
    beta2: float = field(0.999, help="Adam beta2 of both networks", ge=0, lt=1)
    decay_start: float = field(0.5, help="fraction of the training steps after which both learning rates decay "
                                         "linearly to zero (1: never)", ge=0, le=1)
    spectral_norm: bool = field(False, help="spectral normalisation of every discriminator layer")
    r1_gamma: float = field(0.1, help="weight gamma of the R1 penalty gamma/2 * E|grad D(x_real)|^2 (0: off)", ge=0)
    r1_every: int = field(4, help="lazy regularisation: apply the R1 penalty every k steps, scaled by k", ge=1)
    ema_decay: float = field(0.999, help="decay of the exponential moving average of the generator weights "
                                         "used for sampling and evaluation (0: sample the raw generator)", ge=0, lt=1)
