"""Walks through the latent space of models with the ``"latent"`` capability (see :mod:`gensynth._metadata.capabilities`)."""

from __future__ import annotations

from typing import Any, Mapping

import torch

from gensynth._models.model import Model


def interpolate(start: torch.Tensor, end: torch.Tensor, steps: int, spherical: bool = True) -> torch.Tensor:
    """``steps`` points from each row of ``start`` (N, D) to the same row of ``end``, shaped (N, steps, D).

    Spherical interpolation (slerp, White 2016) follows the great circle between the
    two codes, so intermediate points keep the norm typical of a Gaussian prior
    (a straight line passes near the origin, where the prior puts little mass);
    ``spherical=False`` walks the straight line. Both end exactly at the endpoints.
    """
    t = torch.linspace(0, 1, steps, device=start.device, dtype=start.dtype)[None, :, None]
    a, b = start[:, None, :], end[:, None, :]
    path = a + t * (b - a)
    if spherical:
        cos = torch.nn.functional.cosine_similarity(start, end, dim=1).clamp(-1, 1)[:, None, None]
        omega = torch.arccos(cos)
        sin = torch.sin(omega)
        curved = (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / sin.clamp_min(1e-6)
        path = torch.where(sin > 1e-6, curved, path)  # (nearly) parallel codes: the line is the arc
    path[:, 0], path[:, -1] = start, end  # exactly, not up to rounding
    return path


@torch.no_grad()
def latent_interpolations(model: Model, rows: int, steps: int, seed: int, spherical: bool = True,
                          latents: Mapping[str, Any] = (), **kwargs: Any) -> torch.Tensor:
    """Images (rows * steps, C, H, W): row ``i`` walks from one seeded sample's code to another's.

    ``latents`` go to ``sample_latents`` (``truncation=`` of a model with that capability);
    ``kwargs`` go to ``decode_latents`` (``labels=`` of a conditional model, one per image).
    """
    codes = model.sample_latents(2 * rows, seed=seed, **dict(latents))
    path = interpolate(codes[:rows], codes[rows:], steps, spherical)
    return model.decode_latents(path.flatten(0, 1), **kwargs)
