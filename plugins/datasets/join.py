"""``join:[SPEC]+[SPEC]...``: the samples of several sources together, in the order given.

Each bracketed SPEC is any data spec, with its own ``@START:END`` range
(``join:[mnist:PATH@:8000]+[digits@:1400]``); the brackets keep a part's range apart
from a range on the whole. Every part is loaded as the model asks (the same image
size and channels), so sources of different native formats join into one data set;
they must give samples of one shape and, when labelled, the same number of
classes (labels are kept only when every part has them). Folders are read into
memory. CycleGAN's semantic loss trains its two-domain judge on such a join.
"""

from __future__ import annotations

import re

import torch

from gensynth import DataRequest, GensynthError, TensorData, load_data

_PARTS = re.compile(r"\[([^\[\]]+)\]")
USAGE = "join:[SPEC]+[SPEC], e.g. join:[mnist:PATH@:8000]+[digits@:1400]"


def parse_parts(argument: str) -> list[str]:
    """The specs inside ``[...]+[...]``; a one-line GensynthError for anything else."""
    text = argument.strip()
    parts = _PARTS.findall(text)
    if len(parts) < 2 or "+".join(f"[{part}]" for part in parts) != re.sub(r"\]\s*\+\s*\[", "]+[", text):
        raise GensynthError(f"join:{argument} must list two or more specs in brackets joined by +: {USAGE}")
    return [part.strip() for part in parts]


def load(argument: str, request: DataRequest, *, download: bool = False) -> TensorData:
    """The parts of ``argument`` loaded with ``request`` and concatenated."""
    parts = []
    for spec in parse_parts(argument):
        data = load_data(spec, request, download=download, name="data")
        parts.append(data if isinstance(data, TensorData) else data.to_memory())
    shapes = {part.shape for part in parts}
    if len(shapes) > 1:
        raise GensynthError(f"join:{argument} joins samples of shapes "
                            f"{' and '.join('x'.join(map(str, shape)) for shape in sorted(shapes))}; "
                            f"ask for one format (a model's image_size and channels) or join sources that share it")
    labelled = [part for part in parts if part.num_classes is not None]
    classes = {part.num_classes for part in labelled}
    if len(classes) > 1:
        raise GensynthError(f"join:{argument} joins sources with {' and '.join(map(str, sorted(classes)))} classes; "
                            f"join sources that share their classes")
    x = torch.cat([part.x for part in parts])
    if len(labelled) < len(parts):
        return TensorData(x)
    return TensorData(x, torch.cat([part.y for part in parts]), classes.pop())
