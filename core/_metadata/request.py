"""What a model asks of its data (torch-free)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class DataRequest:
    """``kind`` is ``"image"`` or ``"points"``; images are resized/converted to
    ``image_size`` and ``channels``; ``dim`` is the dimension of each point
    (data of another dimension is refused with a one-line error); ``labels``
    asks for class labels. ``None`` accepts what the data has.

    ``domain`` names the data domain of a model that learns between domains
    (see :mod:`gensynth._data.domains`); a source that holds several domains
    (``DatasetSpec.domains``) returns that one, other sources ignore it.

    ``paired`` asks for domains aligned sample by sample (pix2pix learns from
    (input, target) pairs): set it in every domain's request; the domains must then
    come from one source that declares them paired (``DatasetSpec.paired``, such as
    ``paired:PATH``), and every batch holds the same indices in every domain.
    """

    kind: str = "image"
    image_size: int | None = None
    channels: int | None = None
    labels: bool = False
    dim: int | None = None
    domain: str | None = None
    paired: bool = False
