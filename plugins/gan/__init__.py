"""Built-in GAN models, losses and discriminator augmentations. Torch-free: registration only declares metadata and lazy targets.

Each model's recipes are the presets measured in ``benchmarks/`` (figures in
``benchmarks/RESULTS.md``); the default recipe is the one that measured best.
"""

from gensynth import AugmentationSpec, CONDITIONAL, LATENT, TRUNCATION, LossSpec, ModelSpec, Recipe, hookimpl
from gensynth.plugins.gan.config import BigGANConfig, CDCGANConfig, DCGANConfig, MLPGANConfig, SNGANConfig

GENSYNTH_API = ">=1.0,<2"

#: DCGAN's loss and optimiser with a smaller batch and a short generator average: the best FID per CPU
#: minute on MNIST (benchmarks/dcgan_vs_plain.py).
FAST_DCGAN = Recipe(
    "fast", "DCGAN's loss and Adam 2e-4 (0.5, 0.999), BatchNorm D, batch 64, generator EMA 0.99: "
            "the best FID per CPU minute measured",
    config={"loss": "bce", "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "beta2": 0.999, "spectral_norm": False,
            "d_batch_norm": True, "r1_gamma": 0.0, "ema_decay": 0.99, "ema_start": 1000},
    training={"batch_size": 64},
)
#: The DCGAN paper's settings: non-saturating loss, Adam 2e-4 / (0.5, 0.999), batch 128, no averaging.
CLASSIC_DCGAN = Recipe(
    "classic", "Radford et al. 2015: non-saturating loss, Adam 2e-4 (0.5, 0.999), BatchNorm D, batch 128",
    config={"loss": "bce", "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "beta2": 0.999, "spectral_norm": False,
            "d_batch_norm": True, "ema_decay": 0.0},
    training={"batch_size": 128},
)
#: Hinge loss, spectral norm, two time-scales and a generator EMA (SNGAN / BigGAN practice).
STABLE_DCGAN = Recipe(
    "stable", "SNGAN practice for long runs: hinge loss + spectral norm on D + TTUR (G 1e-4, D 4e-4, "
              "beta (0, 0.9)) + generator EMA 0.999",
    config={"loss": "hinge", "lr_g": 1e-4, "lr_d": 4e-4, "beta1": 0.0, "beta2": 0.9, "spectral_norm": True,
            "d_batch_norm": False, "ema_decay": 0.999},
    training={"batch_size": 64},
)
#: Gulrajani et al. 2017: Wasserstein loss, gradient penalty 10, 5 critic steps, Adam 1e-4 (0, 0.9).
WGAN_GP = Recipe(
    "wgan-gp", "Gulrajani et al. 2017: Wasserstein loss + gradient penalty 10, 5 critic steps, Adam 1e-4 (0, 0.9)",
    config={"loss": "wgan-gp", "lr_g": 1e-4, "lr_d": 1e-4, "beta1": 0.0, "beta2": 0.9, "n_disc": 5,
            "spectral_norm": False, "d_batch_norm": False, "ema_decay": 0.999},
    training={"batch_size": 64},
)

CLASSIC_MLP = Recipe(
    "classic", "plain GAN: non-saturating loss, hidden 256, Adam 1e-3 (0.5, 0.999), batch 64, no averaging",
    config={"loss": "bce", "hidden": 256, "lr_g": 1e-3, "lr_d": 1e-3, "beta1": 0.5, "beta2": 0.999,
            "decay_start": 1.0, "r1_gamma": 0.0, "ema_decay": 0.0},
    training={"batch_size": 64},
)
COVERAGE_MLP = Recipe(
    "coverage", "hinge loss + lazy R1 (0.1, every 4) + LR decay over the second half + generator EMA, "
                "hidden 128, batch 256: every mode, sharp (benchmarks/mode_coverage.py, 24,000 steps)",
    config={"loss": "hinge", "hidden": 128, "lr_g": 1e-3, "lr_d": 1e-3, "beta1": 0.5, "beta2": 0.999,
            "decay_start": 0.5, "r1_gamma": 0.1, "r1_every": 4, "ema_decay": 0.999, "ema_start": 1000},
    training={"batch_size": 256},
)


#: SNGAN's default: the paper's optimiser with one D step per G step and narrow networks, for CPU budgets
#: (benchmarks/sngan_vs_dcgan.py; fast against paper not measured yet, see benchmarks/RESULTS.md).
FAST_SNGAN = Recipe(
    "fast", "hinge loss, spectral norm on D, Adam 2e-4 (0, 0.9), one D step per G step, widths 32, "
            "generator EMA 0.999 ramped up (half-life at most 5 % of the steps), batch 64",
    config={"loss": "hinge", "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.0, "beta2": 0.9, "n_disc": 1,
            "spectral_norm": True, "g_width": 32, "d_width": 32, "ema_decay": 0.999, "ema_start": 0,
            "ema_rampup": 0.05},
    training={"batch_size": 64},
)
#: Miyato et al. 2018 / mimicry on CIFAR-10: 5 D steps, Adam 2e-4 (0, 0.9), linear decay, G 256 and D 128 maps.
PAPER_SNGAN = Recipe(
    "paper", "Miyato et al. 2018 (CIFAR-10): hinge, SN on D, Adam 2e-4 (0, 0.9), 5 D steps per G step, "
             "learning rates decaying linearly to 0, G 256 maps at 32 px, D 128, batch 64, no EMA",
    config={"loss": "hinge", "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.0, "beta2": 0.9, "n_disc": 5,
            "decay_start": 0.0, "spectral_norm": True, "g_width": 64, "d_width": 128, "ema_decay": 0.0},
    training={"batch_size": 64},
)
#: The conditional model's default, sngan's fast with BigGAN's conditioning (benchmarks/conditional_mnist.py
#: --model biggan; not measured against paper yet, see benchmarks/RESULTS.md).
FAST_BIGGAN = Recipe(
    "fast", "hinge loss, SN on G and D, Adam 2e-4 (0, 0.9), one D step per G step, widths 32, class embedding "
            "32, hierarchical z, generator EMA 0.999, batch 64",
    config={"loss": "hinge", "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.0, "beta2": 0.9, "n_disc": 1,
            "spectral_norm": True, "g_spectral_norm": True, "g_width": 32, "d_width": 32, "embed_dim": 32,
            "ema_decay": 0.999, "ema_start": 1000, "ema_rampup": 0.0},
    training={"batch_size": 64},
)
#: BigGAN-PyTorch's CIFAR settings: 4 D steps, Adam 2e-4 (0, 0.999), G and D 64 maps x4, embedding 128, EMA.
PAPER_BIGGAN = Recipe(
    "paper", "Brock et al. 2019 as BigGAN-PyTorch trains CIFAR-10: hinge, SN on G and D, Adam 2e-4 (0, 0.999), "
             "4 D steps per G step, 256 maps, class embedding 128, hierarchical z, EMA 0.9999, batch 50",
    config={"loss": "hinge", "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.0, "beta2": 0.999, "n_disc": 4,
            "spectral_norm": True, "g_spectral_norm": True, "g_width": 64, "d_width": 64, "embed_dim": 128,
            "ema_decay": 0.9999},
    training={"batch_size": 50},
)

#: What the image GANs share: data, formats, the small test config and the generation capabilities.
IMAGE_GAN = dict(family="gan", data="image", channels=(1, 3), test_config={"g_width": 8, "d_width": 8, "latent_dim": 16})
DCGAN_FAMILY = dict(IMAGE_GAN, resolutions=(28, 32, 64), recipes=(FAST_DCGAN, CLASSIC_DCGAN, STABLE_DCGAN, WGAN_GP),
                    default_recipe="fast")
RESNET_GAN = dict(IMAGE_GAN, resolutions=(28, 32, 64, 128), default_recipe="fast",
                  test_config={"g_width": 4, "d_width": 4, "latent_dim": 8, "image_size": 28})


@hookimpl
def register_models(register):
    register(ModelSpec(
        name="dcgan",
        summary="Deep convolutional GAN (Radford et al. 2015) for 28, 32 or 64 px images",
        target="gensynth.plugins.gan.dcgan:DCGAN",
        config=DCGANConfig,
        capabilities=(LATENT, TRUNCATION),
        **DCGAN_FAMILY,
    ))
    register(ModelSpec(
        name="cdcgan",
        summary="Class-conditional DCGAN: one-hot input and conditional BatchNorm in G, projection D",
        target="gensynth.plugins.gan.cdcgan:CDCGAN",
        config=CDCGANConfig,
        capabilities=(CONDITIONAL, LATENT, TRUNCATION),
        **DCGAN_FAMILY,
    ))
    register(ModelSpec(
        name="sngan",
        summary="SNGAN (Miyato et al. 2018): ResNet G and D, spectral norm, hinge loss, 28-128 px, attention",
        target="gensynth.plugins.gan.sngan:SNGAN",
        config=SNGANConfig,
        capabilities=(LATENT, TRUNCATION),
        recipes=(FAST_SNGAN, PAPER_SNGAN),
        **RESNET_GAN,
    ))
    # biggan's test config averages from step 2, so the conformance kit's resume-exact covers the average's refit
    register(ModelSpec(
        name="biggan",
        summary="BigGAN-style conditional ResNet GAN: conditional BatchNorm, projection D, spectral norm",
        target="gensynth.plugins.gan.biggan:BigGAN",
        config=BigGANConfig,
        capabilities=(CONDITIONAL, LATENT, TRUNCATION),
        recipes=(FAST_BIGGAN, PAPER_BIGGAN),
        **{**RESNET_GAN, "test_config": {**RESNET_GAN["test_config"], "embed_dim": 4, "ema_start": 1}},
    ))
    register(ModelSpec(
        name="mlp-gan",
        family="gan",
        summary="GAN with MLP generator and discriminator for 2D toy data (ring8, grid25)",
        target="gensynth.plugins.gan.mlp_gan:MLPGAN",
        config=MLPGANConfig,
        data="points",
        capabilities=(),
        test_config={"hidden": 32, "depth": 2},
        recipes=(COVERAGE_MLP, CLASSIC_MLP),
        default_recipe="coverage",
    ))


@hookimpl
def register_losses(register):
    for name, target, summary in (
        ("bce", "NonSaturating", "non-saturating GAN loss (binary cross-entropy; Goodfellow et al. 2014)"),
        ("hinge", "Hinge", "hinge loss (Lim & Ye 2017; SNGAN, BigGAN)"),
        ("wgan-gp", "Wasserstein", "Wasserstein loss with gradient penalty 10 (Gulrajani et al. 2017)"),
        ("lsgan", "LeastSquares", "least-squares loss (Mao et al. 2017)"),
    ):
        register(LossSpec(name=name, family="gan", summary=summary, target=f"gensynth.plugins.gan.losses:{target}"))


@hookimpl
def register_augmentations(register):
    register(AugmentationSpec(
        name="diffaugment", target="gensynth.plugins.gan.diffaugment:DiffAugment",
        summary="DiffAugment (Zhao et al. 2020): colour, translation and cutout, the same for real and fake"))
    register(AugmentationSpec(
        name="ada", target="gensynth.plugins.gan.ada:ADA",
        summary="adaptive discriminator augmentation (Karras et al. 2020): p follows r_t = E[sign(D(real))]"))
