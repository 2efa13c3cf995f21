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
    ema_rampup: float = field(0.0, help="ramp-up of the average (StyleGAN2-ADA's, 0.05 there): its half-life is at "
                                        "most this fraction of the steps trained so far, so that a short run's "
                                        "average does not lag its generator (0: the decay alone)", ge=0, le=1)


@dataclasses.dataclass
class ImageGANConfig(GANConfig):
    """What every image GAN adds: the image format and the augmentation of what its discriminator sees."""

    image_size: int = field(28, help="image height and width in pixels", choices=(28, 32, 64))
    channels: int = field(1, help="image channels: 1 (grey) or 3 (RGB)", choices=(1, 3))
    augment: str = field("none", help="augmentation of every image the discriminator sees, real and generated, in "
                                      "every discriminator pass: none, diffaugment (Zhao et al. 2020), ada (Karras "
                                      "et al. 2020) or one a plugin registers")
    augment_policy: str = field("", help="the augmentation's operations, comma-separated; empty: its own default "
                                         "(diffaugment: color,translation,cutout; ada: blit,geom,color)")
    augment_p: float | None = field(None, help="probability of each operation per image: diffaugment's (none: 1, "
                                               "the paper's); ada's starting p (none: 0)", ge=0, le=1)
    ada_target: float | None = field(0.6, help="ada: target of the overfitting heuristic r_t = E[sign(D(real))]; "
                                               "p rises while r_t is above it and falls while below (none: p "
                                               "stays at augment_p)", ge=0, le=1)
    ada_interval: int = field(4, help="ada: adjust p every N discriminator steps", ge=1)
    ada_kimg: float = field(100.0, help="ada: speed of p: it can move from 0 to 1 in N thousand real images "
                                        "(500 in the paper, for runs of millions of images)", gt=0)


@dataclasses.dataclass
class DCGANConfig(ImageGANConfig):
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
    latent_dim: int = 16
    loss: str = "hinge"
    hidden: int = field(128, help="width of the hidden layers of both networks", ge=1, le=65536)
    depth: int = field(3, help="number of hidden layers of both networks", ge=1, le=64)
    lr_g: float = field(1e-3, help="Adam learning rate of the generator (high for a GAN, fine for 2D points)", gt=0)
    lr_d: float = field(1e-3, help="Adam learning rate of the discriminator", gt=0)
    decay_start: float = 0.5
    r1_gamma: float = 0.1
    r1_every: int = 4
    ema_decay: float = 0.999


@dataclasses.dataclass
class SNGANConfig(ImageGANConfig):
    """SNGAN's fields; the defaults are its default recipe (``gensynth info sngan``)."""

    image_size: int = field(32, help="image height and width in pixels", choices=(28, 32, 64, 128))
    latent_dim: int = 128
    g_width: int = field(32, help="generator feature maps in its last residual block (doubled at each coarser "
                                  "level)", ge=1, le=4096)
    d_width: int = field(32, help="discriminator feature maps in its first residual block (doubled at each "
                                  "coarser level)", ge=1, le=4096)
    attention: int = field(0, help="resolution of a SAGAN self-attention block in both networks (0: none); one "
                                   "between the first map and the image size, e.g. 16 or 32 at 64 px", ge=0)
    g_spectral_norm: bool = field(False, help="spectral normalisation of the generator's convolution and linear "
                                              "layers too (SAGAN, BigGAN)")
    loss: str = "hinge"
    beta1: float = 0.0
    beta2: float = 0.9
    spectral_norm: bool = True
    ema_decay: float = 0.999
    ema_start: int = field(0, help="EMA warm-up: the average copies the generator for the first N steps, then "
                                   "averages (0: average from the first step)", ge=0)
    ema_rampup: float = field(0.05, help="ramp-up of the average (StyleGAN2-ADA's): its half-life is at most this "
                                         "fraction of the steps trained so far, so that a short run's average does "
                                         "not lag its generator (0: the decay alone)", ge=0, le=1,
                              absent=0.0)  # runs recorded before the ramp resume without it


@dataclasses.dataclass
class BigGANConfig(SNGANConfig):
    """The BigGAN-style conditional model's fields; the defaults are its default recipe (``gensynth info biggan``)."""

    num_classes: int = field(10, help="number of classes the generator (conditional BatchNorm) and the "
                                      "projection discriminator are conditioned on; must match the data's labels", ge=1)
    embed_dim: int = field(32, help="size of the shared class embedding that feeds every conditional BatchNorm "
                                    "(BigGAN's 128)", ge=1, le=4096)
    hierarchical: bool = field(True, help="split z into one chunk for the first layer and one per residual block, "
                                          "each joined to the class embedding (BigGAN's skip-z)")
    g_spectral_norm: bool = field(True, help="spectral normalisation of the generator's convolution and linear "
                                             "layers too (BigGAN's)")
    ema_start: int = field(1000, help="EMA warm-up: the average copies the generator for the first N steps, "
                                      "then averages", ge=0)
    ema_rampup: float = field(0.0, help="ramp-up of the average (StyleGAN2-ADA's): its half-life is at most this "
                                        "fraction of the steps trained so far (0: the decay alone; biggan's "
                                        "default recipe was measured without one)", ge=0, le=1)
