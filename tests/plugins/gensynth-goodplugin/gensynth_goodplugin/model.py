"""A small but real point GAN, written only against gensynth's public API."""

import torch
from torch import nn

from gensynth import DataRequest, Model, Phase, TensorData


def line_data(argument, request, download=False):
    g = torch.Generator().manual_seed(0)
    t = torch.rand(4096, 1, generator=g) * 2 - 1
    return TensorData(x=torch.cat([t, 0.5 * t], dim=1), y=None, num_classes=None, source="line")


class TinyPointGAN(Model):
    def __init__(self, config):
        super().__init__(config)
        h, z = config.hidden, config.latent_dim
        self.g = nn.Sequential(nn.Linear(z, h), nn.ReLU(), nn.Linear(h, 2))
        self.d = nn.Sequential(nn.Linear(2, h), nn.ReLU(), nn.Linear(h, 1))

    def data_request(self):
        return DataRequest(kind="points", dim=2)

    def configure_optimizers(self):
        return {"d": torch.optim.Adam(self.d.parameters(), self.config.lr),
                "g": torch.optim.Adam(self.g.parameters(), self.config.lr)}

    def training_phases(self):
        return [Phase("d", "d", self._d_loss), Phase("g", "g", self._g_loss)]

    def _d_loss(self, batch, scratch):
        real = batch["x"]
        fake = self.g(torch.randn(real.shape[0], self.config.latent_dim, device=real.device))
        scratch["fake"] = fake
        bce = nn.functional.binary_cross_entropy_with_logits
        lr, lf = self.d(real), self.d(fake.detach())
        return bce(lr, torch.ones_like(lr)) + bce(lf, torch.zeros_like(lf)), {}

    def _g_loss(self, batch, scratch):
        lf = self.d(scratch["fake"])
        return nn.functional.binary_cross_entropy_with_logits(lf, torch.ones_like(lf)), {}

    @torch.no_grad()
    def sample(self, n, seed=None, **kwargs):
        z = torch.randn(n, self.config.latent_dim, generator=self.seeded_generator(seed), device=self.device)
        return self.g(z)
