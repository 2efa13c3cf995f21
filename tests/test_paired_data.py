"""Paired data for pix2pix: ``paired:PATH`` in both layouts and its errors, ``edges:SPEC``, aligned batches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gensynth import DataRequest, GensynthError, load_data
from gensynth._data.domains import AlignedDomains, load_model_data, open_batches
from gensynth._discovery.registry import get_registry
from gensynth.plugins.datasets.edges import edge_maps

PAIRED = {d: DataRequest("image", 16, 1, domain=d, paired=True) for d in ("a", "b")}


def partners(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether each image of ``b`` is the negative of the image of ``a`` at its index (B = 255 - A)."""
    return torch.allclose(a, -b, atol=1e-6)


def pattern(seed: int, size: tuple[int, int] = (16, 16)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size[::-1], dtype=np.uint8)


def side_by_side(folder: Path, n: int, size: tuple[int, int] = (16, 16)) -> Path:
    """``n`` A|B images whose right half is the negative of the left: B = 255 - A."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        a = pattern(i, size)
        Image.fromarray(np.concatenate([a, 255 - a], axis=1)).save(folder / f"{i:02d}.png")
    return folder


def two_folders(root: Path, n: int) -> Path:
    """``A/NN.png`` and ``B/NN.bmp`` (names match, suffixes differ), B = 255 - A."""
    for domain in ("A", "B"):
        (root / domain).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        a = pattern(i)
        Image.fromarray(a).save(root / "A" / f"{i:02d}.png")
        Image.fromarray(255 - a).save(root / "B" / f"{i:02d}.bmp")
    return root


@pytest.mark.parametrize("layout", ["side_by_side_train", "side_by_side_top", "two_folders"])
def test_paired_layouts_give_aligned_domains(tmp_path, layout):
    if layout == "side_by_side_train":
        side_by_side(tmp_path / "train", 6)
    elif layout == "side_by_side_top":
        side_by_side(tmp_path, 6)
    else:
        two_folders(tmp_path, 6)
    data = load_model_data(f"paired:{tmp_path}", PAIRED, get_registry())
    assert isinstance(data, AlignedDomains) and {d: len(part) for d, part in data.items()} == {"a": 6, "b": 6}
    assert partners(data["a"].x, data["b"].x)  # item i of a is the partner of item i of b
    stream = open_batches(data, 4, seed=3)  # every batch holds the same pairs in both domains, epoch after epoch
    assert all(partners(b["a"]["x"], b["b"]["x"]) for b in (next(stream) for _ in range(5)))
    part = load_model_data(f"paired:{tmp_path}@2:5", PAIRED, get_registry())
    assert torch.equal(part["a"].x, data["a"].x[2:5]) and torch.equal(part["b"].x, data["b"].x[2:5])


def test_native_format_of_a_side_by_side_pair_is_its_half(tmp_path):
    side_by_side(tmp_path, 2, size=(12, 20))
    data = load_data(f"paired:{tmp_path}", DataRequest(domain="b"))
    assert data.shape == (1, 12, 12)


def test_paired_data_errors(tmp_path):
    odd = side_by_side(tmp_path / "odd", 2)
    Image.fromarray(pattern(9, (33, 16))).save(odd / "wide.png")
    with pytest.raises(GensynthError, match=r"wide.png is 33x16: a side-by-side pair .* width must be even"):
        load_data(f"paired:{odd}", PAIRED["a"])
    unmatched = two_folders(tmp_path / "unmatched", 3)
    for i in range(4):
        Image.fromarray(pattern(i)).save(unmatched / "A" / f"extra{i}.png")
    with pytest.raises(GensynthError, match=r"4 images in .*A have no namesake in .*B \(extra0.png, extra1.png, "
                                            r"extra2.png and 1 more\)"):
        load_data(f"paired:{unmatched}", PAIRED["b"])
    sizes = two_folders(tmp_path / "sizes", 2)
    Image.fromarray(pattern(0, (16, 12))).save(sizes / "B" / "01.bmp")
    with pytest.raises(GensynthError, match=r"01.png is 16x16 but its partner .*01.bmp is 16x12"):
        load_data(f"paired:{sizes}", PAIRED["a"])
    twice = two_folders(tmp_path / "twice", 2)
    Image.fromarray(pattern(0)).save(twice / "A" / "00.bmp")
    with pytest.raises(GensynthError, match="have the same name"):
        load_data(f"paired:{twice}", PAIRED["a"])


def test_a_paired_model_takes_only_paired_sources(tmp_path):
    registry = get_registry()
    (tmp_path / "trainA").mkdir()
    with pytest.raises(GensynthError, match=r"learns from aligned pairs of the domains a, b and data='unpaired:\S+' "
                                            r"holds unaligned domains: give data='edges:SPEC / paired:PATH'"):
        load_model_data(f"unpaired:{tmp_path}", PAIRED, registry)
    with pytest.raises(GensynthError, match="data='digits' holds one data set"):
        load_model_data("digits", PAIRED, registry)
    with pytest.raises(GensynthError, match="gives independent data sets, whose order pairs nothing"):
        load_model_data({"a": "digits", "b": "digits"}, PAIRED, registry)
    unaligned = {d: DataRequest("image", 16, 1) for d in ("a", "b")}
    data = load_model_data("edges:digits@:8", unaligned, registry)  # an unpaired model may use paired data
    assert not isinstance(data, AlignedDomains)


def test_edges_source_pairs_outlines_with_images():
    data = load_model_data("edges:digits@:20", PAIRED, get_registry())
    images, edges = data["b"], data["a"]
    assert torch.equal(images.x, load_data("digits@:20", DataRequest("image", 16, 1)).x)
    assert torch.equal(edges.y, images.y) and set(edges.x.unique().tolist()) == {-1.0, 1.0}
    square = -torch.ones(1, 1, 8, 8)
    square[..., 2:6, 2:6] = 1
    outline = edge_maps(square)[0, 0] > 0  # the two columns (rows) on each side of the square's border
    assert outline[3, 1] and outline[3, 2] and outline[3, 6] and outline[1, 3]
    assert not outline[3, 3] and not outline[0, 0] and not outline[:, 0].any()
    with pytest.raises(GensynthError, match="not another edges: spec"):
        load_data("edges:edges:digits", PAIRED["a"])
    with pytest.raises(GensynthError, match="needs images and ring8 gives points"):
        load_data("edges:ring8", DataRequest("points", domain="a"))
