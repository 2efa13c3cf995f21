"""What a model asks of its data (torch-free)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class DataRequest:
    """``kind`` is ``"image"`` or ``"points"``; images are resized/converted to
    ``image_size`` and ``channels``; ``labels`` asks for class labels."""

    kind: str = "image"
    image_size: int | None = None
    channels: int | None = None
    labels: bool = False
