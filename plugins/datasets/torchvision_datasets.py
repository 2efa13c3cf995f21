"""``torchvision:NAME:ROOT``: a ``torchvision.datasets`` class (MNIST, CIFAR10, ...) stored under ROOT.

The training split is used (``train=True`` or ``split="train"``, whichever the
class takes). Files are fetched only with ``download`` (``--download``). The
images are converted once into memory; integer targets become labels.
"""

from __future__ import annotations

import difflib
import inspect
from numbers import Integral
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from torch.utils.data import Dataset
from torchvision import datasets
from torchvision.transforms.v2 import functional as F

from gensynth import DataRequest, GensynthError, TensorData, collect, native_format, pil_to_uint8, prepare_images

EXAMPLES = "MNIST, FashionMNIST, KMNIST, CIFAR10, CIFAR100, SVHN, STL10"


def load(argument: str, request: DataRequest, *, download: bool = False) -> TensorData:
    name, _, root = argument.partition(":")
    if not name or not root:
        raise GensynthError(f"torchvision needs NAME:ROOT, got {argument!r}: use e.g. --data torchvision:CIFAR10:/data")
    dataset = open_dataset(dataset_class(name), Path(root).expanduser(), download)
    return to_tensor_data(dataset, request)


def dataset_class(name: str) -> type[datasets.VisionDataset]:
    """The torchvision dataset class called ``name`` (case-insensitive)."""
    classes = {
        n: cls for n in datasets.__all__
        if isinstance(cls := getattr(datasets, n), type) and issubclass(cls, datasets.VisionDataset)
    }
    by_lower = {n.lower(): n for n in classes}
    if name.lower() in by_lower:
        return classes[by_lower[name.lower()]]
    close = [by_lower[n] for n in difflib.get_close_matches(name.lower(), by_lower, n=3)]
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise GensynthError(f"torchvision has no dataset {name!r}: {hint}valid names include {EXAMPLES}")


def open_dataset(cls: type[datasets.VisionDataset], root: Path, download: bool) -> datasets.VisionDataset:
    """The training split of ``cls`` under ``root``; a GensynthError when it is missing or cannot be opened."""
    parameters = inspect.signature(cls).parameters
    kwargs: dict[str, Any] = {}
    if "train" in parameters:
        kwargs["train"] = True
    elif "split" in parameters:
        kwargs["split"] = "train"
    if "download" in parameters:
        kwargs["download"] = download
    try:
        return cls(str(root), **kwargs)
    except (TypeError, ValueError) as exc:
        raise GensynthError(f"cannot open torchvision.datasets.{cls.__name__} with {kwargs or 'no options'}: "
                            f"{_first_line(exc)}; it needs options gensynth does not pass, "
                            f"so use folder:PATH or mnist:PATH on its files") from exc
    except (RuntimeError, OSError) as exc:
        if download:
            raise GensynthError(f"could not download torchvision dataset {cls.__name__} to {root}: "
                                f"{_first_line(exc)}; check the network or put the files there yourself") from exc
        raise GensynthError(f"torchvision dataset {cls.__name__} is not under {root} ({_first_line(exc)}); "
                            f"pass --download to fetch it, or put its files there") from exc


def to_tensor_data(dataset: datasets.VisionDataset, request: DataRequest) -> TensorData:
    """Every item converted as ``request`` asks; defaults come from the first image (its channels, shorter side)."""
    first_image, first_target = dataset[0][:2]
    channels, size = native_format(_as_pil(first_image))
    converted = _Converted(dataset, request.channels or channels, request.image_size or size,
                           labelled=isinstance(first_target, Integral))
    parts = collect(converted)
    labels = parts.get("y")
    if labels is None:
        return TensorData(parts["x"])
    classes = getattr(dataset, "classes", None)
    return TensorData(parts["x"], labels, num_classes=len(classes) if classes else int(labels.max()) + 1)


class _Converted(Dataset):
    """A torchvision dataset's items as ``{"x", "y"}`` tensors in the requested format."""

    def __init__(self, dataset: datasets.VisionDataset, channels: int, size: int, labelled: bool) -> None:
        self.dataset, self.channels, self.size, self.labelled = dataset, channels, size, labelled

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        image, target = self.dataset[index][:2]
        item = {"x": prepare_images(pil_to_uint8(_as_pil(image))[None], self.channels, self.size)[0]}
        if self.labelled:
            if not isinstance(target, Integral):
                raise GensynthError(f"item {index} of {type(self.dataset).__name__} has a {type(target).__name__} "
                                    f"target where item 0 has a class index; this dataset cannot give labels")
            item["y"] = torch.tensor(int(target))
        return item


def _as_pil(image: Any) -> Image.Image:
    return image if isinstance(image, Image.Image) else F.to_pil_image(image)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
