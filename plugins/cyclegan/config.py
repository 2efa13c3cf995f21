"""The CycleGAN config (torch-free: ``gensynth info cyclegan`` reads it without importing torch).

Field names follow the reference implementation (Zhu et al. 2017,
junyanz/pytorch-CycleGAN-and-pix2pix). The defaults are the ``small`` recipe
(networks sized for 28-64 px images, measured in benchmarks/RESULTS.md); the
``reference`` recipe restores the paper's networks (``ngf = ndf = 64``, 6 residual
blocks up to 128 px and 9 above, 70x70 PatchGAN, batch 1). ``d_layers`` left at none
scales the discriminator's patches with the image size.
"""

from __future__ import annotations

import dataclasses

from gensynth import GensynthError, ModelConfig, field


def default_blocks(image_size: int) -> int:
    """The reference's residual blocks per generator: 6 up to 128 px, 9 above."""
    return 6 if image_size <= 128 else 9


def default_d_layers(image_size: int) -> int:
    """Strided discriminator layers: 3 (70x70 patches, the reference) from 128 px, 2 (34x34) from 16 px, 1 (16x16) below.

    34x34 patches are about half of a 64 px image and all of a 28 or 32 px one: on 28 px
    digits, whole-image judgements kept the digits' identity far better than 16x16 patches
    (see benchmarks/RESULTS.md).
    """
    return 3 if image_size >= 128 else 2 if image_size >= 16 else 1


def check_d_layers(d_layers: int | None, image_size: int) -> None:
    """Raise a GensynthError when ``d_layers`` leaves no output patch for images of ``image_size`` px."""
    most = max([k for k in range(1, 8) if (image_size >> k) - 2 >= 1] or [1])
    if d_layers is not None and d_layers > most:
        raise GensynthError(f"d_layers must be between 1 and {most} for {image_size} px images, got {d_layers}")


def receptive_field(d_layers: int) -> int:
    """Side in pixels of the input patch that one PatchGAN output sees: 16, 34, 70, 142 for 1 to 4 layers.

    The discriminator is ``d_layers`` 4x4 convolutions of stride 2, then two 4x4 of stride 1.
    """
    size = 1 + 3 + 3
    for _ in range(d_layers):
        size = 2 * size + 2
    return size


@dataclasses.dataclass
class CycleGANConfig(ModelConfig):
    image_size: int = field(28, help="image height and width in pixels, a multiple of 4 (the generator halves it twice)",
                            ge=8, le=1024)
    channels_a: int = field(1, help="channels of domain A images: 1 (grey) or 3 (RGB)", choices=(1, 3))
    channels_b: int = field(1, help="channels of domain B images: 1 (grey) or 3 (RGB)", choices=(1, 3))
    ngf: int = field(16, help="generator feature maps in its first layer (reference: 64)", ge=1, le=1024)
    ndf: int = field(16, help="discriminator feature maps in its first layer (reference: 64)", ge=1, le=1024)
    n_blocks: int | None = field(3, help="residual blocks in each generator; none = the reference's 6 up to 128 px, "
                                         "9 above", ge=0, le=64)
    d_layers: int | None = field(
        None, help="stride-2 layers of each PatchGAN discriminator, setting its receptive field: 1 = 16x16, "
                   "2 = 34x34, 3 = 70x70 (reference), 4 = 142x142; none = 3 from 128 px, 2 from 16 px, 1 below", ge=1)
    num_classes: int = field(
        0, help="classes the discriminators condition on: each reads an image beside one-hot planes of its class "
                "(a translation's is its input's), so a translation must look like the target domain's images of "
                "the input's class; 0 = unconditional (reference); needs labels with this many classes in both "
                "domains", ge=0)
    gan_mode: str = field("lsgan", help="adversarial loss: lsgan = least squares (reference), vanilla = cross-entropy",
                          choices=("lsgan", "vanilla"))
    lambda_a: float = field(10.0, help="weight of the cycle loss A -> B -> A", ge=0)
    lambda_b: float = field(10.0, help="weight of the cycle loss B -> A -> B", ge=0)
    lambda_identity: float = field(
        0.5, help="weight of the identity loss as a fraction of lambda_a/lambda_b (0 = off; needs channels_a == channels_b)",
        ge=0)
    lambda_semantic: float = field(
        0.0, help="weight of the semantic-consistency loss (CyCADA): a classifier trained on a labelled domain must "
                  "give a translated image the class it gives the input (0 = off; 1 = CyCADA's; needs labels)", ge=0)
    semantic_judge: str = field(
        "auto", help="classifier that judges the semantic loss: source = each direction's source domain's "
                     "(CyCADA's); both = one trained on both domains (needs labels in both; reads either style); "
                     "auto = both when both domains have labels, else source", choices=("auto", "source", "both"),
        absent="source")
    semantic_classes: str = field(
        "label", help="the class a translation must keep: label = the input's own class label where its domain has "
                      "labels (the judge's class elsewhere); judge = the judge's class of the input image (CyCADA's)",
        choices=("label", "judge"), absent="judge")
    semantic_augment: str = field(
        "", help="DiffAugment operations applied to each translation before the judge reads it, comma-separated "
                 "(color, translation, cutout; empty = none), so the generator cannot satisfy the judge with "
                 "features that only one view of the image shows (acts with lambda_semantic > 0)")
    semantic_judge_steps: int = field(
        600, help="Adam steps that train the semantic loss's judge (the classifier extractor's steps; its cached "
                  "copy is reused by every run with the same data and steps)", ge=1, le=100_000, absent=600)
    pool_size: int = field(50, help="past fakes kept per domain to train the discriminators on (0 = only the newest)",
                           ge=0)
    lr: float = field(2e-4, help="Adam learning rate of the generators and of the discriminators", gt=0)
    beta1: float = field(0.5, help="Adam beta1", ge=0, lt=1)
    beta2: float = field(0.999, help="Adam beta2", ge=0, lt=1)
    decay_start: float = field(
        0.5, help="fraction of the training steps after which the learning rate decays linearly to zero "
                  "(reference: 100 constant + 100 decaying epochs = 0.5; 1 = never decays)", ge=0, le=1)
    init_gain: float = field(0.02, help="standard deviation of the normal initialisation of every convolution", gt=0)


def default_downs(image_size: int) -> int:
    """U-Net down-sampling steps down to a 1x1 bottleneck, as the reference's ``unet_256`` (8 at 256 px):
    as many halvings as the image size allows (5 at 32 px, 2 at 28 px)."""
    steps = 0
    while image_size % 2 == 0 and image_size > 1:
        image_size //= 2
        steps += 1
    return steps


@dataclasses.dataclass
class Pix2PixConfig(ModelConfig):
    """pix2pix's fields; the defaults are the reference's recipe (``--model pix2pix`` of
    junyanz/pytorch-CycleGAN-and-pix2pix: ``unet_256``, 70x70 PatchGAN, batch norm, vanilla GAN, L1 x 100)."""

    image_size: int = field(256, help="image height and width in pixels; a multiple of 2^n_downs", ge=4)
    channels_a: int = field(3, help="channels of the input images (domain A): 1 (grey) or 3 (RGB)", choices=(1, 3))
    channels_b: int = field(3, help="channels of the target images (domain B): 1 (grey) or 3 (RGB)", choices=(1, 3))
    ngf: int = field(64, help="U-Net feature maps in its outer layers (doubling inwards up to 8 ngf)", ge=1)
    ndf: int = field(64, help="discriminator feature maps in its first layer", ge=1)
    n_downs: int | None = field(None, help="U-Net down-sampling steps, each halving the image; none = as many as "
                                           "the size allows (1x1 at 256 px with the reference's 8, 5 at 32 px; 2 "
                                           "at 28 px)", ge=1)
    d_layers: int | None = field(
        None, help="stride-2 layers of the PatchGAN discriminator: 1 = 16x16, 2 = 34x34, 3 = 70x70 (reference) "
                   "patches; none = 3 from 128 px, 2 from 16 px, 1 below", ge=1)
    norm: str = field("batch", help="normalisation in both networks: batch (reference) or instance",
                      choices=("batch", "instance"))
    dropout: bool = field(True, help="dropout 0.5 in the U-Net's innermost 8-ngf decoder blocks (reference; from "
                                     "6 down-sampling steps)")
    gan_mode: str = field("vanilla", help="adversarial loss: vanilla = cross-entropy (reference), lsgan = least squares",
                          choices=("vanilla", "lsgan"))
    lambda_l1: float = field(100.0, help="weight of the L1 distance between the output and the target (paper: 100)",
                             ge=0)
    lambda_gan: float = field(1.0, help="weight of the adversarial loss; 0 = no discriminator, an L1-only U-Net "
                                        "(the paper's 'L1' baseline)", ge=0)
    jitter: float = field(0.117, help="random jitter: both images enlarged by this fraction and cropped back at one "
                                      "random place (reference: 286 -> 256 px = 0.117; 0 = off)", ge=0)
    flip: bool = field(True, help="mirror input and target together, left-right, with probability 1/2 (reference)")
    lr: float = field(2e-4, help="Adam learning rate of the generator and of the discriminator", gt=0)
    beta1: float = field(0.5, help="Adam beta1", ge=0, lt=1)
    beta2: float = field(0.999, help="Adam beta2", ge=0, lt=1)
    decay_start: float = field(0.5, help="fraction of the training steps after which the learning rate decays "
                                         "linearly to zero (reference: 100 + 100 epochs = 0.5)", ge=0, le=1)
    init_gain: float = field(0.02, help="standard deviation of the normal initialisation (convolutions; batch-norm "
                                        "scales around 1)", gt=0)
