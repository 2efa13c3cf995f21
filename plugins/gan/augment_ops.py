"""What the built-in augmentations share: policy strings, per-image gates and cutout."""

from __future__ import annotations

from typing import Mapping, Sequence

import torch

from gensynth import GensynthError


def parse_policy(text: str, name: str, operations: Sequence[str], groups: Mapping[str, Sequence[str]],
                 default: str) -> tuple[str, ...]:
    """The operations a comma-separated ``augment_policy`` names (groups expanded, in the order of
    ``operations``; empty items skipped); ``default`` when ``text`` is blank; a one-line error for an unknown name."""
    chosen: set[str] = set()
    for word in filter(None, (w.strip() for w in ((text or "").strip() or default).split(","))):
        if word in groups:
            chosen.update(groups[word])
        elif word in operations:
            chosen.add(word)
        else:
            known = ", ".join([*groups, *operations])
            raise GensynthError(f"augmentation {name} has no operation {word!r}; its policy is a comma-separated "
                                f"list of: {known}")
    return tuple(op for op in operations if op in chosen)


def gate(p: float, n: int, device: torch.device) -> torch.Tensor:
    """``n`` booleans, each True with probability ``p``: which images an operation transforms."""
    return torch.rand(n, device=device) < p


def cutout(images: torch.Tensor, chosen: torch.Tensor, size: float = 0.5) -> torch.Tensor:
    """Zero a square of ``size`` times the image side, centred uniformly at random, in each chosen image
    (DeVries & Taylor 2017; the cutout of DiffAugment and ADA). Zero is mid-grey in [-1, 1]."""
    n, _, height, width = images.shape
    centre = torch.rand(n, 2, 1, device=images.device)
    rows = (torch.arange(height, device=images.device) + 0.5) / height
    cols = (torch.arange(width, device=images.device) + 0.5) / width
    inside_rows = (rows[None, None, :] - centre[:, :1]).abs() < size / 2  # (n, 1, H)
    inside_cols = (cols[None, None, :] - centre[:, 1:]).abs() < size / 2  # (n, 1, W)
    hole = inside_rows[:, :, :, None] & inside_cols[:, :, None, :] & chosen[:, None, None, None]
    return images * (~hole).to(images.dtype)
