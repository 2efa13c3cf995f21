"""A third-party loss that the built-in GAN models can use with --set loss=least-squares."""

from gensynth import GANLoss

CALLS = {"discriminator": 0}


class LeastSquares(GANLoss):
    def discriminator(self, real_logits, fake_logits):
        CALLS["discriminator"] += 1
        return 0.5 * ((real_logits - 1) ** 2).mean() + 0.5 * (fake_logits ** 2).mean()

    def generator(self, fake_logits):
        return 0.5 * ((fake_logits - 1) ** 2).mean()
