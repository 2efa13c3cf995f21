"""DCGAN (Radford, Metz & Chintala 2015) for 28, 32 and 64 px images.

The generator projects z to a ``base x base`` map (7 for 28 px, 4 otherwise)
and doubles the resolution with stride-2 transposed convolutions + BatchNorm +
ReLU up to a tanh output; the feature maps halve at each doubling and end at
``g_width``. The discriminator mirrors it with stride-2 convolutions +
BatchNorm (none on the first layer; optional, see ``d_batch_norm``) +
LeakyReLU(0.2), starting at ``d_width``.
"""

from __future__ import annotations

from torch import nn

from gensynth.plugins.gan.base import GAN
from gensynth.plugins.gan.config import DCGANConfig

#: image size -> (size of the first generator map, number of stride-2 doublings)
LAYOUTS = {28: (7, 2), 32: (4, 3), 64: (4, 4)}


def layout(config: DCGANConfig) -> tuple[int, int]:
    """``(base, doublings)`` for the config's image size, or a ValueError."""
    if config.image_size not in LAYOUTS:
        raise ValueError(f"DCGAN supports image sizes {sorted(LAYOUTS)}, got {config.image_size}")
    return LAYOUTS[config.image_size]


def generator_widths(width: int, doublings: int) -> list[int]:
    """Feature maps of the generator's hidden layers, coarsest first: e.g. [4w, 2w, w]."""
    return [width * 2 ** i for i in reversed(range(doublings))]


def generator(latent_dim: int, width: int, channels: int, base: int, doublings: int) -> nn.Sequential:
    widths = generator_widths(width, doublings)
    layers: list[nn.Module] = [
        nn.Unflatten(1, (latent_dim, 1, 1)),
        nn.ConvTranspose2d(latent_dim, widths[0], base, 1, 0, bias=False),
        nn.BatchNorm2d(widths[0]),
        nn.ReLU(True),
    ]
    for w_in, w_out in zip(widths, widths[1:]):
        layers += [nn.ConvTranspose2d(w_in, w_out, 4, 2, 1, bias=False), nn.BatchNorm2d(w_out), nn.ReLU(True)]
    layers += [nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1, bias=False), nn.Tanh()]
    return nn.Sequential(*layers)


def discriminator_features(channels: int, width: int, doublings: int, batch_norm: bool) -> nn.Sequential:
    """The convolutional trunk: images to (N, width * 2^(doublings-1), base, base) features."""
    widths = [width * 2 ** i for i in range(doublings)]  # e.g. [w, 2w, 4w]
    layers: list[nn.Module] = [nn.Conv2d(channels, widths[0], 4, 2, 1, bias=not batch_norm), nn.LeakyReLU(0.2, True)]
    for w_in, w_out in zip(widths, widths[1:]):
        layers.append(nn.Conv2d(w_in, w_out, 4, 2, 1, bias=not batch_norm))
        if batch_norm:
            layers.append(nn.BatchNorm2d(w_out))
        layers.append(nn.LeakyReLU(0.2, True))
    return nn.Sequential(*layers)


def discriminator(channels: int, width: int, base: int, doublings: int, batch_norm: bool = True) -> nn.Sequential:
    trunk = discriminator_features(channels, width, doublings, batch_norm)
    return nn.Sequential(*trunk, nn.Conv2d(width * 2 ** (doublings - 1), 1, base, 1, 0, bias=False), nn.Flatten())


def init_weights(module: nn.Module) -> None:
    """DCGAN initialisation: convolutions N(0, 0.02), BatchNorm gamma N(1, 0.02) and beta 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d) and module.affine:
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGAN(GAN):
    config: DCGANConfig

    def __init__(self, config: DCGANConfig) -> None:
        base, doublings = layout(config)
        gen = generator(config.latent_dim, config.g_width, config.channels, base, doublings)
        disc = discriminator(config.channels, config.d_width, base, doublings, batch_norm=config.d_batch_norm)
        gen.apply(init_weights)
        disc.apply(init_weights)
        super().__init__(config, gen=gen, disc=disc)
