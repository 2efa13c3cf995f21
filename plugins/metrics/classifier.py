"""``classifier``: a small CNN trained on labelled reference images; its penultimate features and class logits.

For data without a standard network (digits, MNIST, any folder of classes) this
gives FID/KID/precision-recall in a feature space that knows the domain, and the
Inception Score from its class logits. The network is trained once per
(training data content, image format, recipe) with a fixed seed, on all but a
held-out part of the data whose accuracy is recorded in every protocol, and
cached in the user cache folder (safetensors + JSON). Recipe fields can be set
with ``--extractor-option FIELD=VALUE``.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from gensynth import (
    BatchStream, CachedTensors, DataRequest, ExtractorSetup, FeatureExtractor, Features, GensynthError,
    ModelConfig, Reference, StreamingImages, TensorData, field, ordered_batches, quantize, seed_field, tensors_sha256,
)

NETWORK = "gensynth-small-cnn-1"


@dataclasses.dataclass
class ClassifierRecipe(ModelConfig):
    width: int = field(16, help="channels of the first convolution (doubled in the next two)", ge=1, le=1024)
    features: int = field(128, help="size of the penultimate layer: the feature dimension", ge=1, le=4096)
    steps: int = field(600, help="Adam steps", ge=1, le=100_000)
    batch_size: int = field(64, help="images per step (at most the training part of the data)", ge=1)
    lr: float = field(1e-3, help="Adam learning rate", gt=0)
    test_fraction: float = field(0.15, help="share of the data held out to measure the accuracy", gt=0, lt=1)
    seed: int = seed_field(0, help="seed of the split, the initial weights and the batch order")


class SmallCNN(nn.Module):
    """Three 3x3 convolutions with ReLU and max pooling, a 4x4 average pool, a feature layer, a linear head."""

    def __init__(self, channels: int, classes: int, width: int, features: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(2 * width, 2 * width, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4),
            nn.Flatten(), nn.Linear(2 * width * 16, features), nn.ReLU(),
        )
        self.head = nn.Linear(features, classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.body(x)
        return features, self.head(features)


class ClassifierExtractor(FeatureExtractor):
    has_logits = True

    def __init__(self, net: SmallCNN, facts: dict[str, Any]) -> None:
        self.net, self.facts = net.eval(), facts

    def describe(self) -> dict[str, Any]:
        return self.facts

    def extract(self, images: torch.Tensor) -> Features:
        features, logits = self.net(images)
        return Features(features, logits)


def build(setup: ExtractorSetup) -> ClassifierExtractor:
    """The classifier for ``setup.train_data`` in the requested image format, trained now or taken from the cache."""
    recipe = parse_recipe(setup.options)
    request = DataRequest(kind="image", image_size=setup.image_size, channels=setup.channels, domain=setup.domain)
    train = Reference(setup.train_data, request, setup.registry, option="classifier_data")
    if not train.data.has_labels:
        raise GensynthError(f"the classifier extractor trains on labelled images and {setup.train_data} has no labels; "
                            f"pass labelled --classifier-data SPEC or use --extractor inception")
    classes = int(train.data.num_classes)
    key = {"network": NETWORK, "data": train.sha256, "input": [setup.channels, setup.image_size],
           "classes": classes, "recipe": recipe.to_dict()}
    entry = CachedTensors("classifiers", key)
    found = entry.load()
    if found is None:
        net, meta = train_classifier(setup.channels, classes, train.data, recipe, setup.device)
        entry.save(net.state_dict(), meta)
    else:
        net = SmallCNN(setup.channels, classes, recipe.width, recipe.features)
        net.load_state_dict(found[0])
        meta = found[1]
    facts = {"network": NETWORK, "weights_sha256": tensors_sha256(net.state_dict()), "recipe": recipe.to_dict(),
             "train_spec": setup.train_data, "train_data_sha256": train.sha256, "classes": classes,
             "feature_dim": recipe.features, "train_samples": meta["train_samples"],
             "test_samples": meta["test_samples"], "test_accuracy": meta["test_accuracy"]}
    return ClassifierExtractor(net.to(setup.device), facts)


def parse_recipe(options: dict[str, str]) -> ClassifierRecipe:
    names = [f.name for f in ClassifierRecipe.fields_info()]
    unknown = sorted(set(options) - set(names))
    if unknown:
        raise GensynthError(f"extractor classifier has no option {unknown[0]!r}; its options are {', '.join(names)}")
    return ClassifierRecipe.from_dict(dict(options), model="extractor classifier")


def train_classifier(channels: int, classes: int, data: TensorData | StreamingImages, recipe: ClassifierRecipe,
                     device: torch.device) -> tuple[SmallCNN, dict[str, Any]]:
    """A network trained on all but a held-out part of ``data`` (on the CPU afterwards), and what the cache records."""
    began = time.perf_counter()
    data = data.to_memory() if isinstance(data, StreamingImages) else data
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(recipe.seed))
    n_test = max(1, round(len(data) * recipe.test_fraction))
    if len(data) - n_test < 2:
        raise GensynthError(f"the classifier extractor needs more labelled images than {len(data)} to train and test")
    held_out, kept = order[:n_test], order[n_test:]
    x = quantize(data.x)  # the images it will classify are rounded to 8 bits too
    train = TensorData(x[kept], data.y[kept], data.num_classes)
    test = TensorData(x[held_out], data.y[held_out], data.num_classes)
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(recipe.seed)
        net = SmallCNN(channels, classes, recipe.width, recipe.features).to(device)
        optimizer = torch.optim.Adam(net.parameters(), lr=recipe.lr)
        batches = BatchStream(train, min(recipe.batch_size, len(train)), recipe.seed, device=device)
        for _ in range(recipe.steps):
            batch = next(batches)
            loss = F.cross_entropy(net(batch["x"])[1], batch["y"])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    net.eval()
    correct = 0
    with torch.no_grad():
        for batch in ordered_batches(test, 1024):
            correct += int((net(batch["x"].to(device))[1].argmax(dim=1).cpu() == batch["y"]).sum())
    meta = {"train_samples": len(train), "test_samples": len(test), "test_accuracy": correct / len(test),
            "seconds": round(time.perf_counter() - began, 2)}
    return net.cpu(), meta
