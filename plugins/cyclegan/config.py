"""The CycleGAN config (torch-free: ``gensynth info cyclegan`` reads it without importing torch).

Field names and defaults follow the reference implementation (Zhu et al. 2017,
junyanz/pytorch-CycleGAN-and-pix2pix), except ``ngf``/``ndf`` (32 instead of 64)
and the size-dependent defaults of ``n_blocks`` and ``d_layers``, which follow
the reference where it defines them (6 blocks up to 128 px, 9 above; a 70x70
PatchGAN from 128 px) and scale the discriminator's patches down for small images.
"""

from __future__ import annotations

import dataclasses

from gensynth import ModelConfig, field


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
    ngf: int = field(32, help="generator feature maps in its first layer (reference: 64; 32 keeps CPU training practical)",
                     ge=1, le=1024)
    ndf: int = field(32, help="discriminator feature maps in its first layer (reference: 64)", ge=1, le=1024)
    n_blocks: int | None = field(None, help="residual blocks in each generator; none = the reference's 6 up to 128 px, 9 above",
                                  ge=0, le=64)
    d_layers: int | None = field(
        None, help="stride-2 layers of each PatchGAN discriminator, setting its receptive field: 1 = 16x16, "
                   "2 = 34x34, 3 = 70x70 (reference), 4 = 142x142; none = 3 from 128 px, 2 from 16 px, 1 below",
        ge=1)
    gan_mode: str = field("lsgan", help="adversarial loss: lsgan = least squares (reference), vanilla = cross-entropy",
                          choices=("lsgan", "vanilla"))
    lambda_a: float = field(10.0, help="weight of the cycle loss A -> B -> A", ge=0)
    lambda_b: float = field(10.0, help="weight of the cycle loss B -> A -> B", ge=0)
    lambda_identity: float = field(
        0.5, help="weight of the identity loss as a fraction of lambda_a/lambda_b (0 = off; needs channels_a == channels_b)", ge=0)
    pool_size: int = field(50, help="past fakes kept per domain to train the discriminators on (0 = only the newest)", ge=0)
    lr: float = field(2e-4, help="Adam learning rate of the generators and of the discriminators", gt=0)
    beta1: float = field(0.5, help="Adam beta1", ge=0, lt=1)
    beta2: float = field(0.999, help="Adam beta2", ge=0, lt=1)
    decay_start: float = field(
        0.5, help="fraction of the training steps after which the learning rate decays linearly to zero "
                  "(reference: 100 constant + 100 decaying epochs = 0.5; 1 = never decays)", ge=0, le=1)
    init_gain: float = field(0.02, help="standard deviation of the normal initialisation of every convolution", gt=0)
