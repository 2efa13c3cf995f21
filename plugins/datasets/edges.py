"""``edges:SPEC``: a paired toy task made at load time from any image source, edge maps -> images.

Domain ``b`` is the data ``SPEC`` names (``edges:mnist:PATH``, ``edges:digits``), loaded as
the model asks; domain ``a`` is each image's edge map: white where the Sobel gradient
of the image (grey, in [0, 1]) is above a quarter of the image's largest gradient,
black elsewhere, in the image's channels. Both keep SPEC's labels and order, so the
domains are paired (the edges2shoes idea on data every machine has: the model learns
to fill a digit from its outline). Nothing is written to disk.
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F

from gensynth import DataRequest, GensynthError, TensorData, load_data

#: An edge is a pixel whose gradient magnitude is above this fraction of the image's largest.
THRESHOLD = 0.25
_SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def load(argument: str, request: DataRequest, *, download: bool = False) -> TensorData:
    """Domain ``request.domain``: ``"a"`` the edge maps, ``"b"`` (or none) the images of ``argument``."""
    if argument.startswith("edges:"):
        raise GensynthError("edges:SPEC needs a source of images, not another edges: spec")
    inner = dataclasses.replace(request, domain=None, paired=False)
    data = load_data(argument, inner, download=download)
    if data.kind != "image":
        raise GensynthError(f"edges:{argument} needs images and {argument} gives points; use an image source")
    images = data.to_memory() if not isinstance(data, TensorData) else data
    return dataclasses.replace(images, x=edge_maps(images.x)) if request.domain == "a" else images


@torch.no_grad()
def edge_maps(x: torch.Tensor, threshold: float = THRESHOLD, chunk: int = 4096) -> torch.Tensor:
    """Binary Sobel edge maps in {-1, 1} of images ``x`` (N, C, H, W) in [-1, 1], with C channels."""
    out = []
    kernels = torch.stack([_SOBEL_X, _SOBEL_X.t()])[:, None].to(x)
    for part in x.split(chunk):
        grey = (part.mean(dim=1, keepdim=True) + 1) / 2
        gradients = F.conv2d(F.pad(grey, (1, 1, 1, 1), mode="replicate"), kernels)
        magnitude = gradients.pow(2).sum(dim=1, keepdim=True).sqrt()
        peak = magnitude.amax(dim=(2, 3), keepdim=True).clamp_min(1e-8)
        out.append(((magnitude > threshold * peak).float() * 2 - 1).expand_as(part))
    return torch.cat(out).contiguous()
