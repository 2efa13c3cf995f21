"""``unpaired:PATH``: two unpaired image domains in the reference CycleGAN layout.

PATH holds ``trainA/`` and ``trainB/``, and usually ``testA/`` and ``testB/``, as
the reference's datasets (horse2zebra, monet2photo, ...) are distributed. The
source holds the data domains ``a`` and ``b``: a model that learns between
domains gets ``trainA`` as domain a and ``trainB`` as domain b. Each folder is
read as ``folder:`` reads one; the test folders are for ``gensynth translate``.
"""

from __future__ import annotations

from gensynth import DataRequest, GensynthError, StreamingImages, TensorData, existing_folder
from gensynth.plugins.datasets import folder

LAYOUT = "trainA/ and trainB/ (the CycleGAN layout)"


def load(argument: str, request: DataRequest, *, download: bool = False) -> TensorData | StreamingImages:
    """The training images of domain ``request.domain`` (``"a"`` or ``"b"``) under PATH."""
    root = existing_folder(argument, LAYOUT)
    name = f"train{(request.domain or '').upper()}"
    if not (root / name).is_dir():
        raise GensynthError(f"{root} has no {name}/ folder: unpaired:PATH needs a folder that holds {LAYOUT}")
    return folder.load(str(root / name), request)
