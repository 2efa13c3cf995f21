"""Class-conditional VAE (Sohn, Lee & Yan 2015): encoder and decoder both see the class.

The class enters as a one-hot vector joined to the encoder's features before its
head and to the code before the decoder. Trained on labelled data (``digits``,
``mnist:PATH``, ``folder:PATH`` with class folders), it generates a chosen class
(the ``"conditional"`` capability of :mod:`gensynth._metadata.capabilities`).

Where no labels are given, the model is read as the joint p(y) p(z) p(x|y, z)
with a uniform class prior: ``sample`` draws the classes, ``elbo`` and
``log_likelihood`` bound or estimate log p(x) = log sum_y p(y) p(x|y) (for each
class, then a log-sum-exp), and ``reconstruct`` uses the class under which the
image's ELBO at its posterior mean is highest.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import torch
import torch.nn.functional as F

from gensynth import Batch, GensynthError, check_data_classes, checked_labels, class_rows, side_by_side, uniform_labels
from gensynth.plugins.vae.config import CVAEConfig
from gensynth.plugins.vae.vae import VAE

#: Training previews show one row per class when there are at most this many classes.
MAX_PREVIEW_CLASSES = 16


class CVAE(VAE):
    config: CVAEConfig

    @property
    def num_classes(self) -> int:
        return self.config.num_classes

    def bind_data(self, info: Mapping[str, Any]) -> None:
        check_data_classes(info, self.num_classes)

    def condition_size(self) -> int:
        return self.config.num_classes

    def condition(self, labels: torch.Tensor | None) -> torch.Tensor:
        if labels is None:
            raise GensynthError("the conditional VAE needs the class of every image; train it on labelled data")
        return F.one_hot(labels.to(self.device), self.num_classes).float()

    def checked(self, labels: torch.Tensor, n: int) -> torch.Tensor:
        """``labels`` as n classes on the model's device, or a GensynthError naming the problem."""
        return checked_labels(labels, n, self.num_classes, self.device)

    def all_classes(self, n: int) -> torch.Tensor:
        """Each class repeated ``n`` times: 0 x n, 1 x n, ... (pairs with ``x.repeat(num_classes, ...)``)."""
        return torch.arange(self.num_classes, device=self.device).repeat_interleave(n)

    def over_classes(self, per_class: torch.Tensor, n: int) -> torch.Tensor:
        """log sum_y p(y) exp(value(y)) for values (num_classes * n,) ordered as :meth:`all_classes`."""
        return torch.logsumexp(per_class.view(self.num_classes, n), dim=0) - math.log(self.num_classes)

    # -- generation -----------------------------------------------------------------

    @torch.no_grad()
    def decode_latents(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The expected images of codes ``z`` of classes ``labels`` (one per code)."""
        if labels is None:
            raise GensynthError("the conditional VAE decodes a code for a class: pass labels (one per code)")
        condition = self.condition(self.checked(labels, len(z)))
        return self.likelihood.mean(self.decode(z.to(self.device), condition)).float()

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None, labels: torch.Tensor | None = None) -> torch.Tensor:
        """``n`` images of classes ``labels``; without labels the classes are drawn uniformly (same generator)."""
        generator = self.seeded_generator(seed)
        z = self.latents(n, generator)
        if labels is None:
            labels = uniform_labels(n, self.num_classes, self.device, generator)
        return self.decode_latents(z, labels)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The expected image of each input's posterior mean code, given its class (inferred when not given)."""
        x = x.to(self.device)
        labels = self.most_likely_classes(x) if labels is None else self.checked(labels, len(x))
        condition = self.condition(labels)
        mean, _ = self.encode(x, condition)
        return self.likelihood.mean(self.decode(mean, condition)).float()

    @torch.no_grad()
    def most_likely_classes(self, x: torch.Tensor) -> torch.Tensor:
        """For each image, the class with the highest ELBO evaluated at the posterior mean (deterministic)."""
        n = len(x)
        xs, condition = x.repeat(self.num_classes, 1, 1, 1), self.condition(self.all_classes(n))
        mean, log_var = self.encode(xs, condition)
        elbo = -(self.likelihood.nll(self.decode(mean, condition), xs) + self.prior.kl_dims(mean, log_var, mean).sum(1))
        return elbo.view(self.num_classes, n).argmax(dim=0)

    def previews(self, batch: Batch, n: int, seed: int) -> dict[str, torch.Tensor]:
        """One row per class (up to 16 classes; else ``n`` samples of random classes),
        and each image of the fixed batch beside its reconstruction."""
        x = batch["x"]
        reconstructions = side_by_side(x, self.reconstruct(x, batch["y"]))
        if self.num_classes > MAX_PREVIEW_CLASSES:
            return {"samples": self.sample(n, seed=seed), "reconstructions": reconstructions}
        return {"samples": class_rows(self, self.num_classes, self.num_classes, seed), "reconstructions": reconstructions}

    # -- likelihoods ----------------------------------------------------------------

    @torch.no_grad()
    def elbo(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """ELBO of log p(x|y) per image given ``labels``; without labels, the bound
        log sum_y p(y) exp(ELBO(x|y)) <= log p(x) of the joint model."""
        x = x.to(self.device)
        if labels is not None:
            recon, kl = self.elbo_terms(x, self.condition(self.checked(labels, len(x))))
            return -(recon + kl)
        recon, kl = self.elbo_terms(x.repeat(self.num_classes, 1, 1, 1), self.condition(self.all_classes(len(x))))
        return self.over_classes(-(recon + kl), len(x))

    @torch.no_grad()
    def log_likelihood(self, x: torch.Tensor, k: int, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Importance-sampled log p(x|y) per image with ``k`` samples; without labels, log p(x)
        of the joint model (``k`` samples for each class)."""
        x = x.to(self.device)
        if labels is not None:
            weights = self.log_weights(x, k, self.condition(self.checked(labels, len(x))))
            return torch.logsumexp(weights, dim=1) - math.log(k)
        weights = self.log_weights(x.repeat(self.num_classes, 1, 1, 1), k, self.condition(self.all_classes(len(x))))
        return self.over_classes(torch.logsumexp(weights, dim=1) - math.log(k), len(x))
