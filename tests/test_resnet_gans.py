"""The residual GANs: sngan and the BigGAN-style conditional biggan."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gensynth import GensynthError
from gensynth.plugins.gan.biggan import BigGAN
from gensynth.plugins.gan.config import BigGANConfig, SNGANConfig
from gensynth.plugins.gan.resnet import DiscriminatorBlock, GeneratorBlock, SelfAttention, attention_sizes
from gensynth.plugins.gan.sngan import SNGAN

TINY = {"g_width": 2, "d_width": 2, "latent_dim": 8}
#: image size -> the side of each generator block's output, and of each discriminator block's
BLOCK_SIDES = {28: ([14, 28], [14, 7, 7]), 32: ([8, 16, 32], [16, 8, 4, 4]), 64: ([8, 16, 32, 64], [32, 16, 8, 4, 4]),
               128: ([8, 16, 32, 64, 128], [64, 32, 16, 8, 4, 4])}


def block_outputs(network: nn.Module, kind: type, run) -> list[tuple[int, ...]]:
    shapes = []
    handles = [m.register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape))) for m in network.modules()
               if isinstance(m, kind)]
    run()
    for handle in handles:
        handle.remove()
    return shapes


@pytest.mark.parametrize("size, channels", [(28, 1), (32, 1), (32, 3), (64, 3), (128, 1)])
def test_residual_blocks_double_and_halve_the_resolution_at_every_supported_size(size, channels):
    model = SNGAN(SNGANConfig(**TINY, image_size=size, channels=channels))
    z = torch.randn(2, 8)
    g_sides, d_sides = BLOCK_SIDES[size]
    g_shapes = block_outputs(model.gen, GeneratorBlock, lambda: model.gen(z))
    widths = [2 * 2 ** k for k in reversed(range(len(g_sides)))]
    assert g_shapes == [(2, w, s, s) for w, s in zip(widths, g_sides)]
    x = torch.rand(2, channels, size, size) * 2 - 1
    d_shapes = block_outputs(model.disc, DiscriminatorBlock, lambda: model.disc(x))
    assert [shape[2] for shape in d_shapes] == d_sides and d_shapes[0][1] == 2
    assert model.sample(2, seed=0).shape == (2, channels, size, size)
    assert model.disc(x).shape == (2, 1)


@pytest.mark.parametrize("build", [lambda: SNGAN(SNGANConfig(**TINY, attention=16)),
                                   lambda: BigGAN(BigGANConfig(**TINY, attention=16))], ids=["sngan", "biggan"])
def test_spectral_norm_on_every_discriminator_layer(build):
    model = build()
    layers = [m for m in model.disc.modules() if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding))]
    assert len(layers) > 10 and all(hasattr(m, "parametrizations") for m in layers)


def test_generator_spectral_norm_follows_the_config_and_spares_the_class_embedding():
    plain = SNGAN(SNGANConfig(**TINY))
    assert not any(hasattr(m, "parametrizations") for m in plain.gen.modules())
    conditional = BigGAN(BigGANConfig(**TINY))
    layers = [m for m in conditional.gen.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert all(hasattr(m, "parametrizations") for m in layers)
    assert not hasattr(conditional.gen.embed, "parametrizations")


def test_self_attention_sits_at_the_chosen_resolution_in_both_networks():
    model = SNGAN(SNGANConfig(**TINY, image_size=64, attention=32))
    sides = block_outputs(model, SelfAttention, lambda: (model.gen(torch.randn(2, 8)),
                                                         model.disc(torch.rand(2, 1, 64, 64))))
    assert [s[2] for s in sides] == [32, 32]
    assert attention_sizes(64) == [8, 16, 32]
    with pytest.raises(GensynthError, match="attention=64 is not a resolution inside both networks at 64 px; "
                                            "use 0 \\(none\\) or one of 8, 16, 32"):
        SNGAN(SNGANConfig(**TINY, image_size=64, attention=64))


def test_biggan_splits_z_over_its_blocks_and_follows_the_labels():
    model = BigGAN(BigGANConfig(**TINY, image_size=32))
    norms = [m for m in model.gen.modules() if type(m).__name__ == "ClassConditionalBatchNorm2d"]
    assert [n.gain.in_features for n in norms] == [32 + 2] * 6  # embedding + one of 4 chunks of z (8 / 4)
    zeros = torch.zeros(4, dtype=torch.int64)
    assert not torch.equal(model.sample(4, seed=0, labels=zeros), model.sample(4, seed=0, labels=zeros + 1))
    with pytest.raises(GensynthError, match="set latent_dim to at least 4"):
        BigGAN(BigGANConfig(**{**TINY, "latent_dim": 3}, image_size=32))
    flat = BigGAN(BigGANConfig(**TINY, hierarchical=False))
    assert flat.gen.project.in_features == 8


def test_biggan_needs_labelled_data_with_matching_classes():
    with pytest.raises(GensynthError, match="has 3 classes but this model is configured for 10; pass "):
        BigGAN(BigGANConfig(**TINY)).bind_data({"num_classes": 3, "source": "x"})
