"""Data splits (SPEC@START:END), the user cache, and protocol ids."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from gensynth._data.dataset import TensorData
from gensynth._metadata.request import DataRequest
from gensynth._data.spec import load_data
from gensynth._data.split import Split, split_spec
from gensynth._errors import GensynthError
from gensynth._evaluation.cache import CachedTensors, cache_dir
from gensynth._evaluation.describe import differences
from gensynth._evaluation.protocol import protocol_id
from gensynth._discovery.registry import get_registry

MNIST = Path(os.environ.get("GENSYNTH_TEST_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")) / "mnist"


@pytest.mark.parametrize("text,expected", [
    ("mnist:/data@8000:", ("mnist:/data", Split(8000, None))),
    ("mnist:/data@:8000", ("mnist:/data", Split(None, 8000))),
    ("digits@-100:", ("digits", Split(-100, None))),
    ("digits@10:20", ("digits", Split(10, 20))),
    ("folder:/a@b/c", ("folder:/a@b/c", None)),
    ("digits", ("digits", None)),
])
def test_split_suffix_parsing(text, expected):
    assert split_spec(text) == expected


def test_split_selects_samples_and_keeps_source_and_facts():
    registry = get_registry()
    whole = load_data("ring8", DataRequest(kind="points"), registry)
    head = load_data("ring8@:1000", DataRequest(kind="points"), registry)
    tail = load_data("ring8@-500:", DataRequest(kind="points"), registry)
    assert len(head) == 1000 and torch.equal(head.x, whole.x[:1000]) and torch.equal(tail.y, whole.y[-500:])
    assert head.source == "ring8@:1000" and head.info()["mixture"] == whole.info()["mixture"]
    assert len(whole.info()["mixture"]["modes"]) == 8
    with pytest.raises(GensynthError, match=r"data='ring8@200000:' selects no samples: the source has 100000"):
        load_data("ring8@200000:", DataRequest(kind="points"), registry)


@pytest.mark.skipif(not MNIST.is_dir(), reason=f"MNIST test set not found in {MNIST} (set GENSYNTH_TEST_DATA)")
def test_mnist_test_set_splits_into_train_and_held_out_parts():
    registry = get_registry()
    train = load_data(f"mnist:{MNIST}@:8000", DataRequest(), registry)
    held_out = load_data(f"mnist:{MNIST}@8000:", DataRequest(), registry)
    assert (len(train), len(held_out)) == (8000, 2000) and held_out.num_classes == 10


def test_cache_folder_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("GENSYNTH_CACHE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert cache_dir() == tmp_path / "home" / ".cache" / "gensynth"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "gensynth"
    monkeypatch.setenv("GENSYNTH_CACHE_DIR", str(tmp_path / "own"))
    assert cache_dir() == tmp_path / "own"


def test_cached_tensors_round_trip_and_a_damaged_entry_is_recomputed(monkeypatch, tmp_path):
    monkeypatch.setenv("GENSYNTH_CACHE_DIR", str(tmp_path))
    entry = CachedTensors("things", {"data": "abc", "n": 1})
    assert entry.load() is None
    entry.save({"x": torch.arange(3.0)}, {"note": "hi"})
    tensors, meta = entry.load()
    assert torch.equal(tensors["x"], torch.arange(3.0)) and meta["note"] == "hi" and meta["key"] == {"data": "abc", "n": 1}
    assert CachedTensors("things", {"data": "abd", "n": 1}).path != entry.path
    (entry.path / "tensors.safetensors").write_bytes(b"garbage")
    assert entry.load() is None
    assert [p.name for p in entry.path.parent.iterdir()] == [entry.path.name]  # no temporary folders left


def test_protocol_ids_ignore_paths_but_not_what_determines_the_value():
    protocol = {"metric": "metrics:fid", "params": {}, "reference": {"spec": "mnist:/a@8000:", "num_samples": 2000,
                                                                     "sha256": "x"}, "versions": {"torch": "2"}}
    moved = {**protocol, "reference": {**protocol["reference"], "spec": "mnist:/elsewhere@8000:"}}
    fewer = {**protocol, "reference": {**protocol["reference"], "num_samples": 1000}}
    assert protocol_id(moved) == protocol_id(protocol) != protocol_id(fewer)
    assert differences(protocol, fewer) == ["reference.num_samples"]
    assert differences(protocol, moved) == []
    assert differences(protocol, {**protocol, "versions": {"torch": "3"}}) == ["versions.torch"]


def test_split_of_tensor_data_keeps_labels_aligned():
    data = TensorData(torch.arange(10.0).reshape(10, 1).repeat(1, 2), torch.arange(10), num_classes=10, source="s@2:5")
    part = Split(2, 5).apply(data)
    assert part.y.tolist() == [2, 3, 4] and part.x[:, 0].tolist() == [2.0, 3.0, 4.0] and part.num_classes == 10
