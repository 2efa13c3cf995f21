"""Configs of the VAE models (torch-free: ``gensynth info`` reads them without importing torch)."""

from __future__ import annotations

import dataclasses

from gensynth import GensynthError, ModelConfig, field

LIKELIHOODS = ("bernoulli", "gaussian")
PRIORS = ("normal", "mixture")


@dataclasses.dataclass
class ImageLikelihoodConfig(ModelConfig):
    """What every model of the family has: the images and the decoder likelihood p(x|z)."""

    image_size: int = field(28, help="image height and width in pixels", choices=(28, 32, 64))
    channels: int = field(1, help="image channels: 1 (grey) or 3 (RGB)", choices=(1, 3))
    likelihood: str = field("bernoulli", choices=LIKELIHOODS,
                            help="decoder likelihood p(x|z) on pixels scaled to [0, 1]: bernoulli (grey values "
                                 "used as probabilities) or gaussian")
    gaussian_scale: float = field(0.1, help="gaussian likelihood: standard deviation in [0, 1] pixel units "
                                            "(the starting value when learned)", gt=0)
    learn_scale: bool = field(True, help="gaussian likelihood: learn one standard deviation shared by all pixels "
                                         "(false: keep gaussian_scale fixed)")


@dataclasses.dataclass
class GaussianLatentConfig(ImageLikelihoodConfig):
    """The fields of the models with a Gaussian code (vae, beta-vae, cvae, iwae): networks and optimiser."""

    latent_dim: int = field(32, help="size of the latent code z (Gaussian posterior)", ge=1, le=4096)
    prior: str = field("mixture", choices=PRIORS, help="prior p(z): normal (standard normal, KL in closed form) or "
                                                      "mixture (a learned mixture of Gaussians, KL estimated)")
    prior_components: int = field(50, help="mixture prior: number of Gaussian components", ge=1, le=65536)
    width: int = field(8, help="feature maps of the first encoder and last decoder convolution "
                                "(doubled at each coarser level)", ge=1, le=4096)
    blocks: int = field(0, help="residual blocks at the coarsest level of the encoder and of the decoder "
                                "(0: plain convolutions)", ge=0, le=64)
    lr: float = field(8e-3, help="Adam learning rate", gt=0)
    weight_decay: float = field(0.0, help="decoupled weight decay (AdamW; 0: Adam)", ge=0)
    decay_start: float = field(0.5, help="fraction of the training steps after which the learning rate decays "
                                         "linearly to zero (1: never)", ge=0, le=1)


@dataclasses.dataclass
class VAEConfig(GaussianLatentConfig):
    kl_warmup_steps: int = field(0, help="raise the KL weight linearly from 0 to its full value over this many steps "
                                         "(0: full weight from the start)", ge=0)
    free_bits: float = field(0.0, help="free bits: each latent dimension's KL, averaged over the batch, counts at "
                                       "least this many nats in the training objective (0: off)", ge=0)


def normal_prior() -> str:
    """The ``prior`` field of beta-vae and cvae, which keep the standard normal: beta-VAE's pressure towards
    independent code dimensions is its KL to a factorised prior, and a learned prior makes a cvae code that
    carries the class cheaper."""
    return field("normal", choices=PRIORS, help="prior p(z): normal (standard normal, KL in closed form; the "
                                                "default here) or mixture (a learned mixture of Gaussians)")


@dataclasses.dataclass
class BetaVAEConfig(VAEConfig):
    prior: str = normal_prior()
    beta: float = field(4.0, help="weight of the KL term in the training objective (1: plain VAE)", ge=0)


@dataclasses.dataclass
class CVAEConfig(VAEConfig):
    prior: str = normal_prior()
    latent_dim: int = field(8, help="size of the latent code z; small, so that the class is left to the label "
                                    "(a large code learns to carry the class and the samples follow it later)",
                            ge=1, le=4096)
    num_classes: int = field(10, help="number of classes the encoder and decoder are conditioned on; "
                                      "must match the labels of the data", ge=1)


@dataclasses.dataclass
class IWAEConfig(GaussianLatentConfig):
    k: int = field(5, help="importance samples per image in the training bound (1: the VAE's ELBO)", ge=1, le=4096)


@dataclasses.dataclass
class VQVAEConfig(ImageLikelihoodConfig):
    """VQ-VAE: networks and codebook (stage 1), and the transformer prior over the codes (stage 2)."""

    width: int = field(16, help="feature maps of the first encoder and last decoder convolution (doubled at the "
                                "code map's resolution, a quarter of the image's side)", ge=1, le=4096)
    blocks: int = field(2, help="residual blocks of the encoder and of the decoder at the code map's resolution",
                        ge=0, le=64)
    codebook_size: int = field(512, help="number of codes K in the codebook", ge=2, le=65536)
    code_dim: int = field(16, help="dimension of each code vector", ge=1, le=4096)
    commitment: float = field(0.25, help="weight beta of the commitment loss |z_e - sg(z_q)|^2", ge=0)
    ema_decay: float = field(0.99, help="decay of the codebook's moving averages (EMA codebook updates); "
                                        "0: learn the codebook by gradient with the codebook loss", ge=0, lt=1)
    restart_threshold: float = field(1.0, help="restart a code whose moving-average count of assigned vectors per "
                                               "batch falls below this, on a random encoder output (0: never)", ge=0)
    lr: float = field(1e-3, help="Adam learning rate of the autoencoder (stage 1)", gt=0)
    prior_start: float = field(0.5, help="fraction of the training steps after which the autoencoder is fixed and "
                                         "the prior over its codes trains (stage 2)", gt=0, lt=1)
    prior_dim: int = field(64, help="width of the prior's transformer", ge=8, le=8192)
    prior_layers: int = field(3, help="transformer layers of the prior", ge=1, le=128)
    prior_heads: int = field(4, help="attention heads of the prior (must divide prior_dim)", ge=1, le=128)
    prior_dropout: float = field(0.1, help="dropout in the prior's transformer layers", ge=0, lt=1)
    prior_lr: float = field(1e-3, help="Adam learning rate of the prior (stage 2)", gt=0)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.prior_dim % self.prior_heads:
            raise GensynthError(f"prior_heads ({self.prior_heads}) must divide prior_dim ({self.prior_dim}); "
                                f"pass --set prior_heads=N with N a divisor of {self.prior_dim}")
