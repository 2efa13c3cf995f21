"""Configs of the VAE models (torch-free: ``gensynth info`` reads them without importing torch)."""

from __future__ import annotations

import dataclasses

from gensynth import ModelConfig, field

LIKELIHOODS = ("bernoulli", "gaussian")


@dataclasses.dataclass
class VAEConfig(ModelConfig):
    image_size: int = field(28, help="image height and width in pixels", choices=(28, 32, 64))
    channels: int = field(1, help="image channels: 1 (grey) or 3 (RGB)", choices=(1, 3))
    latent_dim: int = field(32, help="size of the latent code z (Gaussian posterior, standard normal prior)", ge=1, le=4096)
    width: int = field(8, help="feature maps of the first encoder and last decoder convolution "
                                "(doubled at each coarser level)", ge=1, le=1024)
    likelihood: str = field("bernoulli", choices=LIKELIHOODS,
                            help="decoder likelihood p(x|z) on pixels scaled to [0, 1]: bernoulli (grey values "
                                 "used as probabilities) or gaussian")
    gaussian_scale: float = field(0.1, help="gaussian likelihood: standard deviation in [0, 1] pixel units "
                                            "(the starting value when learned)", gt=0)
    learn_scale: bool = field(True, help="gaussian likelihood: learn one standard deviation shared by all pixels "
                                         "(false: keep gaussian_scale fixed)")
    lr: float = field(3e-3, help="Adam learning rate", gt=0)


@dataclasses.dataclass
class BetaVAEConfig(VAEConfig):
    beta: float = field(4.0, help="weight of the KL term in the training objective (1: plain VAE)", ge=0)
    kl_warmup_steps: int = field(0, help="raise the KL weight linearly from 0 to beta over this many steps "
                                         "(0: beta from the start)", ge=0)


@dataclasses.dataclass
class CVAEConfig(VAEConfig):
    latent_dim: int = field(8, help="size of the latent code z; small, so that the class is left to the label "
                                    "(a large code learns to carry the class and the samples follow it later)",
                            ge=1, le=4096)
    num_classes: int = field(10, help="number of classes the encoder and decoder are conditioned on; "
                                      "must match the labels of the data", ge=1)
