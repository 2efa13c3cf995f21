"""The class labels a CycleGAN's two domains must share, for the losses that compare classes across them."""

from __future__ import annotations

from typing import Any, Mapping

from gensynth import GensynthError


def check_shared_classes(info: Mapping[str, Mapping[str, Any]], why: str, off: str) -> None:
    """A one-line error when the labelled domains of ``info`` (``Model.bind_data``'s facts) have different
    numbers of classes; ``why`` says what compares them, ``off`` the config field whose 0 turns it off."""
    counts = [facts["num_classes"] for facts in info.values() if facts.get("num_classes")]
    if len(set(counts)) > 1:
        raise GensynthError(f"{why}, and they have {' and '.join(str(n) for n in counts)} classes; give domains "
                            f"that share their classes, or set {off}=0")
