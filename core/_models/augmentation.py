"""The Augmentation interface: differentiable image augmentations for a GAN's discriminator.

Data-efficient GAN training (DiffAugment, Zhao et al. 2020; ADA, Karras et al.
2020) transforms every image the discriminator sees, real and generated alike,
in every discriminator pass, with operations that gradients flow through, so
the generator learns from the augmented judgement without learning to produce
augmented images. Plugins register augmentations through the
``register_augmentations`` hook (:class:`~gensynth._metadata.specs.AugmentationSpec`);
a model builds one by name with :func:`build_augmentation`.

An augmentation is an ``nn.Module`` that moves to the run's device with its
model. Whatever it must keep across a resume (ADA's probability and statistics)
is training state, not weights: :meth:`Augmentation.training_state`, which the
model saves in the checkpoint's training state (per process under torchrun), so
the exported weights are those of the networks alone and the buffers that
data-parallel training sets to rank 0's hold nothing an augmentation counts.
"""

from __future__ import annotations

import inspect
from typing import Any, Mapping

import torch
from torch import nn

from gensynth._discovery.registry import Registry, get_registry

#: The config value that means "no augmentation".
NO_AUGMENTATION = "none"


class Augmentation(nn.Module):
    """A random, differentiable transformation of image batches, applied before the discriminator.

    Subclasses implement :meth:`forward`; adaptive ones also :meth:`observe` and :meth:`logs`.
    Random draws come from torch's global RNG on the images' device (which the Trainer saves
    and restores), never from a private generator, so a resumed run draws the same.
    """

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Images (N, C, H, W) in about [-1, 1] to augmented images of the same shape, each image
        transformed independently; differentiable with respect to ``images``."""
        raise NotImplementedError

    def observe(self, real_logits: torch.Tensor) -> None:
        """The discriminator's raw outputs (N, 1) on the augmented real images of one discriminator
        step (called once per step, detached). Adaptive augmentations update their strength from
        them; the default ignores them."""

    def logs(self) -> dict[str, torch.Tensor]:
        """Detached scalars the model logs with its discriminator phase (e.g. ``augment/p``)."""
        return {}

    def training_state(self) -> dict[str, Any]:
        """What a resumed run needs to continue exactly (tensors and JSON values); default: nothing."""
        return {}

    def load_training_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`training_state` returned."""


def build_augmentation(name: str, registry: Registry | None = None, **options: Any) -> Augmentation:
    """Instantiate the registered augmentation ``name`` (an id or a unique short name).

    ``options`` are every augmentation option of the calling model's config; the constructor
    receives those its signature names (all of them if it takes ``**kwargs``).
    """
    registry = registry or get_registry()
    known = ", ".join([NO_AUGMENTATION] + [s.name for s in registry.all("augmentations")])
    cls = registry.resolve_setting("augmentations", name, "augment", f"use one of: {known}").load_subclass(Augmentation)
    parameters = inspect.signature(cls).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        options = {k: v for k, v in options.items() if k in parameters}
    return cls(**options)
