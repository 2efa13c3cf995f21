"""``inception``: the FID Inception-v3 that pytorch-fid and torch-fidelity use, with weights from a local file.

The network is torchvision's Inception-v3 (1008 classes, no auxiliary head)
with the blocks the TensorFlow FID graph computes differently (average pools
that ignore padding, a max pool in the last block), as pytorch-fid builds it.
Nothing is downloaded: the weights file ``pt_inception-2015-12-05-6726825d.pth``
(pytorch-fid's release) is taken from ``--extractor-weights PATH``, else from
``$GENSYNTH_INCEPTION_WEIGHTS``, else from ``<cache>/weights/`` (see
:func:`gensynth._evaluation.cache.cache_dir`).

Input convention: images in [-1, 1] (already rounded to 8 bits by the
evaluation), grey images repeated to 3 channels, resized to 299 x 299 with
bilinear interpolation, ``align_corners=False`` and antialiasing. For images
smaller than 299 px (upsampling) this is pytorch-fid's
``F.interpolate(..., mode="bilinear", align_corners=False)`` (equal to within
float rounding, 1e-6); for larger ones
the antialiasing low-pass filters first, as PIL and clean-fid do, where
pytorch-fid aliases. Features are the 2048 values of the final average pool;
logits are the 1008-way ``fc`` layer without its bias, which is what
torch-fidelity's Inception Score uses.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
import torchvision
from safetensors.torch import load_file

from gensynth import ExtractorSetup, FeatureExtractor, Features, GensynthError, cache_dir, file_sha256

WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"
WEIGHTS_URL = f"https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/{WEIGHTS_FILE}"
WEIGHTS_SHA256_PREFIX = "6726825d"
ENV_VAR = "GENSYNTH_INCEPTION_WEIGHTS"
SIZE = 299


def _pool_without_padding(x: torch.Tensor) -> torch.Tensor:
    """TensorFlow's 3x3 average pool: padded zeros are not counted."""
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class FIDInceptionA(torchvision.models.inception.InceptionA):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch5x5 = self.branch5x5_2(self.branch5x5_1(x))
        branch3x3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch1x1(x), branch5x5, branch3x3dbl, self.branch_pool(_pool_without_padding(x))], 1)


class FIDInceptionC(torchvision.models.inception.InceptionC):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch7x7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        branch7x7dbl = x
        for layer in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                      self.branch7x7dbl_5):
            branch7x7dbl = layer(branch7x7dbl)
        return torch.cat([self.branch1x1(x), branch7x7, branch7x7dbl, self.branch_pool(_pool_without_padding(x))], 1)


class FIDInceptionE(torchvision.models.inception.InceptionE):
    """Both last blocks; the first pools like the A/C blocks, the second (``max_pool``) takes a max."""

    def __init__(self, in_channels: int, max_pool: bool) -> None:
        super().__init__(in_channels)
        self.max_pool = max_pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch3x3 = self.branch3x3_1(x)
        branch3x3 = torch.cat([self.branch3x3_2a(branch3x3), self.branch3x3_2b(branch3x3)], 1)
        branch3x3dbl = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        branch3x3dbl = torch.cat([self.branch3x3dbl_3a(branch3x3dbl), self.branch3x3dbl_3b(branch3x3dbl)], 1)
        pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1) if self.max_pool else _pool_without_padding(x)
        return torch.cat([self.branch1x1(x), branch3x3, branch3x3dbl, self.branch_pool(pooled)], 1)


def fid_inception_v3() -> torchvision.models.Inception3:
    """The FID variant of Inception-v3 with uninitialised weights (its state-dict keys are pytorch-fid's)."""
    net = torchvision.models.inception_v3(weights=None, aux_logits=False, num_classes=1008, init_weights=False)
    net.Mixed_5b = FIDInceptionA(192, pool_features=32)
    net.Mixed_5c = FIDInceptionA(256, pool_features=64)
    net.Mixed_5d = FIDInceptionA(288, pool_features=64)
    net.Mixed_6b = FIDInceptionC(768, channels_7x7=128)
    net.Mixed_6c = FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6d = FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6e = FIDInceptionC(768, channels_7x7=192)
    net.Mixed_7b = FIDInceptionE(1280, max_pool=False)
    net.Mixed_7c = FIDInceptionE(2048, max_pool=True)
    return net


class InceptionExtractor(FeatureExtractor):
    has_logits = True
    batch_size = 50

    def __init__(self, net: torchvision.models.Inception3, weights_sha256: str) -> None:
        self.net, self.weights_sha256 = net.eval(), weights_sha256
        self.trunk = torch.nn.Sequential(
            net.Conv2d_1a_3x3, net.Conv2d_2a_3x3, net.Conv2d_2b_3x3, net.maxpool1, net.Conv2d_3b_1x1,
            net.Conv2d_4a_3x3, net.maxpool2, net.Mixed_5b, net.Mixed_5c, net.Mixed_5d, net.Mixed_6a, net.Mixed_6b,
            net.Mixed_6c, net.Mixed_6d, net.Mixed_6e, net.Mixed_7a, net.Mixed_7b, net.Mixed_7c, net.avgpool,
            torch.nn.Flatten(),
        )

    def describe(self) -> dict[str, Any]:
        return {"network": "FID Inception-v3 (pytorch-fid / TensorFlow 2015-12-05)", "weights_sha256": self.weights_sha256,
                "reference_weights": self.weights_sha256.startswith(WEIGHTS_SHA256_PREFIX),
                "resize": f"bilinear, antialiased, align_corners=False, to {SIZE}x{SIZE}",
                "grey": "repeated to 3 channels", "feature_dim": 2048, "logits": "fc without bias (1008)"}

    def extract(self, images: torch.Tensor) -> Features:
        if images.shape[1] == 1:
            images = images.repeat(1, 3, 1, 1)
        x = F.interpolate(images, size=(SIZE, SIZE), mode="bilinear", align_corners=False, antialias=True)
        features = self.trunk(x)
        return Features(features, features @ self.net.fc.weight.T)


def weights_path(setup: ExtractorSetup) -> Path:
    """The weights file to use; a GensynthError naming what to get and where to put it when there is none."""
    default = cache_dir() / "weights" / WEIGHTS_FILE
    path = setup.weights or (Path(os.environ[ENV_VAR]).expanduser() if os.environ.get(ENV_VAR) else default)
    if not path.is_file():
        raise GensynthError(f"Inception weights not found at {path}: download {WEIGHTS_URL} and put it at {default} "
                            f"(or pass --extractor-weights PATH, or set {ENV_VAR}); gensynth never downloads it itself")
    return path


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    try:
        if path.suffix == ".safetensors":
            return load_file(str(path))
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch.load raises many kinds of errors for a damaged file
        raise GensynthError(f"cannot read Inception weights {path} ({type(exc).__name__}); "
                            f"download {WEIGHTS_FILE} again from {WEIGHTS_URL}") from None


def build(setup: ExtractorSetup) -> InceptionExtractor:
    if setup.options:
        raise GensynthError(f"extractor inception takes no options, got {', '.join(setup.options)}")
    path = weights_path(setup)
    net = fid_inception_v3()
    try:
        net.load_state_dict(load_weights(path))
    except (RuntimeError, TypeError) as exc:
        raise GensynthError(f"{path} does not hold FID Inception-v3 weights ({str(exc).splitlines()[0]}); "
                            f"use {WEIGHTS_FILE} from {WEIGHTS_URL}") from None
    return InceptionExtractor(net.to(setup.device), file_sha256(path))
