"""``SPEC@START:END``: a contiguous part of a data source, in the source's own order.

``START`` and ``END`` follow Python's slice rules: either may be left out and a
negative number counts from the end. ``mnist:PATH@:8000`` is the first 8,000
samples, ``mnist:PATH@8000:`` the rest, so training and evaluation can use two
disjoint parts of one source. The suffix stays part of the data's ``source``.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from gensynth._errors import GensynthError
from gensynth._naming import option

if TYPE_CHECKING:
    from gensynth._data.dataset import StreamingImages, TensorData

_SUFFIX = re.compile(r"^(?P<spec>.+)@(?P<start>-?\d*):(?P<end>-?\d*)$")


@dataclasses.dataclass(frozen=True)
class Split:
    """Samples ``start`` to ``end`` (exclusive) of a source; None means from the start / to the end."""

    start: int | None = None
    end: int | None = None

    @property
    def text(self) -> str:
        """The suffix without ``@``, e.g. ``"8000:"``."""
        return f"{'' if self.start is None else self.start}:{'' if self.end is None else self.end}"

    def apply(self, data: TensorData | StreamingImages) -> TensorData | StreamingImages:
        """The selected samples, with the same classes, facts and source (possibly none)."""
        from gensynth._data.dataset import StreamingImages, TensorData

        part = slice(self.start, self.end)
        if isinstance(data, TensorData):
            y = None if data.y is None else data.y[part]
            taken: TensorData | StreamingImages = dataclasses.replace(data, x=data.x[part], y=y)
        else:
            channels, size, _ = data.shape
            labels = None if data.labels is None else data.labels[part].tolist()
            taken = StreamingImages(data.files[part], channels, size, labels, data.num_classes, data.source, data.panel)
            taken.facts = dict(data.facts)
        return taken


def split_spec(text: str, name: str = "data") -> tuple[str, Split | None]:
    """``("mnist:PATH", Split(8000, None))`` for ``"mnist:PATH@8000:"``; ``(text, None)`` without a suffix.

    ``name`` is the setting the spec came from, for messages."""
    match = _SUFFIX.match(text.strip())
    if not match:
        return text, None
    start, end = (int(match[k]) if match[k] else None for k in ("start", "end"))
    if any(abs(bound) > 2**62 for bound in (start, end) if bound is not None):
        raise GensynthError(f"{option(name, text)}: the range @START:END is out of bounds")
    return match["spec"], Split(start, end)
