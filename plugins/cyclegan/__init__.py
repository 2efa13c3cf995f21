"""Built-in image-to-image translation: CycleGAN (unpaired) and pix2pix (paired), the two models of the
reference repository (junyanz/pytorch-CycleGAN-and-pix2pix). Torch-free: registration only declares
metadata and lazy targets.

The recipes are measured in ``benchmarks/`` (figures in ``benchmarks/RESULTS.md``); each default
recipe is the one that measured best.
"""

from gensynth import TRANSLATE, ModelSpec, Recipe, hookimpl
from gensynth.plugins.cyclegan.config import CycleGANConfig, Pix2PixConfig

GENSYNTH_API = ">=1.0,<2"

#: Networks sized for 28-64 px images; on MNIST <-> digits as accurate as wider ones at a fraction of the time
#: (benchmarks/cyclegan_digits.py, benchmarks/cyclegan_speed.py).
SMALL_CYCLEGAN = Recipe(
    "small", "networks sized for 28-64 px images: ngf 16, ndf 16, 3 residual blocks, 34x34 patches below 128 px, "
             "batch 16; many times faster per step than the reference layout",
    config={"ngf": 16, "ndf": 16, "n_blocks": 3, "d_layers": None},
    training={"batch_size": 16},
)
#: The paper's networks and batch.
REFERENCE_CYCLEGAN = Recipe(
    "reference", "Zhu et al. 2017: ngf = ndf = 64, 6 residual blocks up to 128 px and 9 above, 70x70 PatchGAN, "
                 "batch 1 (for 128-256 px photos)",
    config={"ngf": 64, "ndf": 64, "n_blocks": None, "d_layers": 3},
    training={"batch_size": 1},
)

#: The reference's ``--model pix2pix`` defaults (the config's defaults).
REFERENCE_PIX2PIX = Recipe(
    "reference", "Isola et al. 2017: U-Net down to 1x1, ngf = ndf = 64, 70x70 PatchGAN, batch norm, dropout, "
                 "vanilla GAN + 100 x L1, jitter 286 -> 256 px and mirroring, Adam 2e-4 (0.5), batch 1",
    config={"ngf": 64, "ndf": 64, "norm": "batch", "dropout": True, "gan_mode": "vanilla", "lambda_l1": 100.0,
            "lambda_gan": 1.0, "jitter": 0.117, "flip": True},
    training={"batch_size": 1},
)
#: Narrower networks and batches of 16 for 28-64 px images (benchmarks/pix2pix_edges.py).
SMALL_PIX2PIX = Recipe(
    "small", "for 28-64 px images: ngf = ndf = 32, the reference's losses and jitter, no mirroring (digits and "
             "letters are not mirror images of themselves), batch 16",
    config={"ngf": 32, "ndf": 32, "flip": False},
    training={"batch_size": 16},
)
#: Small enough for the conformance kit to train in seconds.
TINY = {"image_size": 16, "ngf": 4, "ndf": 4}


@hookimpl
def register_models(register):
    register(ModelSpec(
        name="cyclegan",
        family="cyclegan",
        summary="CycleGAN (Zhu et al. 2017): unpaired translation between two image domains A and B",
        target="gensynth.plugins.cyclegan.model:CycleGAN",
        config=CycleGANConfig,
        data="image",
        resolutions=(28, 32, 64, 128, 256),
        channels=(1, 3),
        capabilities=(TRANSLATE,),
        test_config={**TINY, "n_blocks": 1, "pool_size": 4},
        recipes=(SMALL_CYCLEGAN, REFERENCE_CYCLEGAN),
        default_recipe="small",
    ))
    register(ModelSpec(
        name="pix2pix",
        family="pix2pix",
        summary="pix2pix (Isola et al. 2017): paired translation, U-Net generator + PatchGAN on (input, output)",
        target="gensynth.plugins.cyclegan.pix2pix:Pix2Pix",
        config=Pix2PixConfig,
        data="image",
        resolutions=(32, 64, 128, 256),
        channels=(1, 3),
        capabilities=(TRANSLATE,),
        test_config={**TINY, "channels_a": 1, "channels_b": 1},
        recipes=(REFERENCE_PIX2PIX, SMALL_PIX2PIX),
        default_recipe="reference",
    ))
