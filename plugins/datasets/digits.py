"""``digits``: scikit-learn's bundled UCI handwritten digits, the dataset that needs no download."""

from __future__ import annotations

import torch
from sklearn.datasets import load_digits

from gensynth import DataRequest, TensorData, prepare_images

DEFAULT_SIZE = 28
"""Resolution when the model asks for none (MNIST's, though the originals are 8x8)."""


def load(argument: str, request: DataRequest, *, download: bool = False) -> TensorData:
    """1,797 grey 8x8 digits (values 0..16, labels 0..9) resized with bilinear antialiasing."""
    bunch = load_digits()
    pixels = torch.from_numpy(bunch.images).float().div_(16.0).unsqueeze(1)
    x = prepare_images(pixels, request.channels or 1, request.image_size or DEFAULT_SIZE)
    return TensorData(x, torch.from_numpy(bunch.target).long(), num_classes=10)
