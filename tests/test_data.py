"""The data layer: --data parsing, every built-in source and its errors, batch order, streaming."""

from __future__ import annotations

import gzip
import os
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import gensynth._data.dataset as dataset_module
from gensynth import DatasetSpec, GensynthError, hookimpl
from gensynth._data.dataset import StreamingImages, TensorData
from gensynth._data.images import pil_to_uint8, prepare_images
from gensynth._data.loader import BatchStream, epoch_order
from gensynth._metadata.request import DataRequest
from gensynth._data.spec import check_request, load_data, parse_data_spec
from gensynth._discovery.loader import PluginManager, PluginRecord
from gensynth.plugins.datasets.mixtures import mixture_modes
from gensynth._discovery.registry import Registry, get_registry

SHARED_DATA = Path(os.environ.get("GENSYNTH_TEST_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
IMAGES = DataRequest()
POINTS = DataRequest(kind="points")


@pytest.fixture(scope="module")
def registry() -> Registry:
    return get_registry()


@pytest.fixture(scope="module")
def digits(registry) -> TensorData:
    return load_data("digits", IMAGES, registry)


# -- parsing --------------------------------------------------------------------


def test_builtin_plugin_registers_every_source(registry):
    record = registry.manager.record("datasets")
    assert record is not None and record.status == "ok", record and record.status_text
    assert {s.usage for s in registry.all("datasets") if s.plugin == "datasets"} == {
        "digits", "mnist:PATH", "folder:PATH", "unpaired:PATH", "paired:PATH", "edges:SPEC", "join:[SPEC]+[SPEC]",
        "torchvision:NAME:ROOT",
        "ring8", "grid25"}


def test_join_puts_sources_together_in_the_model_format(registry, class_folder, tmp_path):
    request = DataRequest(image_size=16, channels=1)
    joined = load_data("join:[digits@:10] + [digits@-5:]", request, registry)
    whole = load_data("digits", request, registry)
    assert torch.equal(joined.x, torch.cat([whole.x[:10], whole.x[-5:]])) and joined.num_classes == 10
    assert torch.equal(joined.y, torch.cat([whole.y[:10], whole.y[-5:]]))
    assert len(load_data("join:[digits@:10]+[digits@:10]@5:", request, registry)) == 15  # a range on the whole
    flat = tmp_path / "flat"
    save(flat / "a.png", "L", (8, 8), 255)
    mixed = load_data(f"join:[digits@:3]+[folder:{flat}]", request, registry)
    assert mixed.num_classes is None and mixed.y is None and len(mixed) == 4 and (mixed.x[3] == 1).all()
    with pytest.raises(GensynthError, match="joins sources with 3 and 10 classes; join sources that share"):
        load_data(f"join:[digits]+[folder:{class_folder}]", request, registry)


@pytest.mark.parametrize("text, message", [
    ("join:[digits]", r"join:\[digits\] must list two or more specs in brackets joined by \+"),
    ("join:digits+digits", "must list two or more specs in brackets"),
    ("join:[digits]+[digits]x", "must list two or more specs in brackets"),
    ("join:[digits]+[ring8]", "data='ring8' gives points but this model needs images"),
    ("join:[digits]+[mnist:MNIST]", "joins samples of shapes 1x4x4 and 1x28x28; ask for one format"),
    ("join:[digits]+[digits]", None),
])
def test_join_errors(registry, text, message, tmp_path):
    write_mnist(tmp_path, "t10k", 3)  # 4x4 px
    text = text.replace("MNIST", str(tmp_path))
    if message is None:
        assert len(load_data(text, DataRequest(image_size=8, channels=1), registry)) == 2 * 1797
        return
    with pytest.raises(GensynthError, match=message):
        load_data(text, DataRequest(kind="image", image_size=None if "mnist" in text else 8, channels=1), registry)


def test_spec_forms(registry, tmp_path):
    assert parse_data_spec("digits", registry)[0].id == "datasets:digits"
    assert parse_data_spec("datasets:digits", registry) == (registry.resolve("datasets", "digits"), "")
    assert parse_data_spec("mnist:/a:b", registry)[1] == "/a:b"
    assert parse_data_spec("datasets:mnist:/a:b", registry)[1] == "/a:b"
    assert parse_data_spec("torchvision:CIFAR10:/data", registry)[1] == "CIFAR10:/data"


@pytest.mark.parametrize("text, message", [
    ("mnist", "dataset mnist needs PATH: use data='mnist:PATH'"),
    ("mnist:", "needs PATH"),
    ("digits:x", "dataset digits takes no argument, got 'x': use data='digits'"),
    ("digits@abc", r"data='digits@abc': the part after @ must be a range START:END"),
    ("digts", "unknown dataset 'digts'; did you mean digits"),
    ("", "names no dataset"),
])
def test_spec_errors(registry, text, message):
    with pytest.raises(GensynthError, match=message):
        parse_data_spec(text, registry)


def test_a_builtin_dataset_name_means_the_builtin():
    """A third-party `digits` is reachable as other:digits; `digits` stays the built-in (and the other plugin's
    row says so)."""
    other = types.SimpleNamespace(register_datasets=hookimpl(lambda register: register(
        DatasetSpec(name="digits", summary="another", target="gensynth.plugins.datasets.digits:load"))))
    import gensynth.plugins.datasets as builtin

    manager = PluginManager()
    manager.add_plugin(builtin, PluginRecord("datasets", "gensynth", "0", builtin.__name__, builtin=True))
    manager.add_plugin(other, PluginRecord("other", "other", "0", "other", builtin=False))
    registry = Registry(manager)
    registry.collect()
    registry.check_names()
    assert parse_data_spec("digits", registry)[0].plugin == "datasets"
    assert parse_data_spec("other:digits", registry)[0].plugin == "other"
    assert manager.record("other").conflicts == [
        "dataset name 'digits' belongs to the built-in datasets:digits, so `digits` means the built-in and this one "
        "is reachable only as other:digits (rename it)"]


# -- requests -------------------------------------------------------------------


def test_kind_mismatch_is_an_error(registry, digits):
    with pytest.raises(GensynthError, match="gives points but this model needs images; choose an image dataset"):
        load_data("ring8", IMAGES, registry)
    with pytest.raises(GensynthError, match="gives images but this model needs points; choose a point dataset"):
        check_request(digits, POINTS)


def test_labels_requested_but_absent():
    data = TensorData(torch.zeros(4, 2), source="line")
    with pytest.raises(GensynthError, match="data='line' has no class labels but this model is conditional"):
        check_request(data, DataRequest(kind="points", labels=True))


def test_source_with_the_wrong_size_is_reported(digits):
    with pytest.raises(GensynthError, match="gave 1x28x28 images but the model asked for 3x28x28"):
        check_request(digits, DataRequest(channels=3))


# -- digits ---------------------------------------------------------------------


def test_digits_defaults(digits):
    assert digits.x.shape == (1797, 1, 28, 28) and digits.x.dtype == torch.float32
    assert digits.x.min() == -1 and digits.x.max() == 1
    assert digits.y.dtype == torch.int64 and torch.equal(digits.y.unique(), torch.arange(10))
    assert digits.info() == {"source": "digits", "kind": "image", "size": 1797, "shape": [1, 28, 28],
                             "num_classes": 10, "streaming": False}


def test_digits_resized_to_rgb(registry):
    data = load_data("digits", DataRequest(image_size=16, channels=3, labels=True), registry)
    assert data.x.shape == (1797, 3, 16, 16)
    assert torch.equal(data.x[:, 0], data.x[:, 2])


# -- mnist ----------------------------------------------------------------------


def write_idx(path: Path, array: np.ndarray, magic: int) -> Path:
    payload = magic.to_bytes(4, "big") + np.array(array.shape, dtype=">i4").tobytes() + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)
    return path


def write_mnist(folder: Path, prefix: str, n: int, suffix: str = "", labels: int | None = None) -> np.ndarray:
    images = np.random.default_rng(n).integers(0, 256, (n, 4, 4))
    write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images, 2051)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", np.arange(n if labels is None else labels) % 3, 2049)
    return images


def test_mnist_on_the_real_test_set(registry):
    folder = SHARED_DATA / "mnist"
    if not (folder / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"real MNIST files not found in {folder} (set GENSYNTH_TEST_DATA)")
    data = load_data(f"mnist:{folder}", DataRequest(labels=True), registry)
    assert data.x.shape == (10000, 1, 28, 28) and data.num_classes == 10
    assert data.x.min() == -1 and data.x.max() == 1
    assert data.y.bincount().tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_mnist_reads_raw_and_gz_train_first(registry, tmp_path):
    test = write_mnist(tmp_path, "t10k", 3, ".gz")
    train = write_mnist(tmp_path, "train", 5)
    data = load_data(f"mnist:{tmp_path}", DataRequest(labels=True), registry)
    expected = torch.from_numpy(np.concatenate([train, test])).float().unsqueeze(1) / 127.5 - 1
    assert torch.allclose(data.x, expected, atol=1e-6)
    assert data.y.tolist() == [0, 1, 2, 0, 1, 0, 1, 2] and data.num_classes == 3


@pytest.mark.parametrize("damage, message", [
    (lambda p: p.write_bytes(p.read_bytes()[:-5]), "train-images-idx3-ubyte is truncated or damaged"),
    (lambda p: p.write_bytes(b"\0\0\x08\x01" + p.read_bytes()[4:]), "magic number 2049, expected 2051"),
    (lambda p: p.write_bytes(b"\0\0\x08"), "train-images-idx3-ubyte is not an IDX file"),
    (lambda p: p.write_bytes(p.read_bytes()[:10]), "train-images-idx3-ubyte is truncated: 10 bytes"),
])
def test_mnist_damaged_files(registry, tmp_path, damage, message):
    write_mnist(tmp_path, "train", 4)
    damage(tmp_path / "train-images-idx3-ubyte")
    with pytest.raises(GensynthError, match=message):
        load_data(f"mnist:{tmp_path}", IMAGES, registry)


def test_mnist_damaged_gzip(registry, tmp_path):
    write_mnist(tmp_path, "train", 4, ".gz")
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(GensynthError, match="cannot read .*train-labels-idx1-ubyte.gz"):
        load_data(f"mnist:{tmp_path}", IMAGES, registry)


def test_mnist_count_mismatch_and_missing_labels(registry, tmp_path):
    write_mnist(tmp_path, "train", 4, labels=3)
    with pytest.raises(GensynthError, match="train-images-idx3-ubyte has 4 images but train-labels-idx1-ubyte has 3"):
        load_data(f"mnist:{tmp_path}", IMAGES, registry)
    (tmp_path / "train-labels-idx1-ubyte").unlink()
    with pytest.raises(GensynthError, match="has no labels file train-labels-idx1-ubyte"):
        load_data(f"mnist:{tmp_path}", IMAGES, registry)


def test_mnist_folder_errors(registry, tmp_path):
    with pytest.raises(GensynthError, match="no MNIST files in .*looked for \\*-images-idx3-ubyte"):
        load_data(f"mnist:{tmp_path}", IMAGES, registry)
    with pytest.raises(GensynthError, match="does not exist"):
        load_data(f"mnist:{tmp_path / 'nope'}", IMAGES, registry)


# -- folder ---------------------------------------------------------------------


def save(path: Path, mode: str, size: tuple[int, int], color) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color).save(path)
    return path


@pytest.fixture
def class_folder(tmp_path) -> Path:
    root = tmp_path / "pets"
    save(root / "cat" / "a.png", "L", (12, 8), 0)
    save(root / "cat" / "deep" / "b.png", "L", (8, 8), 255)
    save(root / "dog" / "c.png", "RGB", (8, 16), (255, 0, 0))
    save(root / "fox" / "d.png", "RGBA", (8, 8), (0, 0, 0, 0))
    save(root / ".hidden" / "e.png", "RGB", (8, 8), 0)
    return root


def test_folder_with_class_subfolders(registry, class_folder):
    data = load_data(f"folder:{class_folder}", DataRequest(image_size=4, channels=3, labels=True), registry)
    assert isinstance(data, TensorData) and data.x.shape == (4, 3, 4, 4)
    assert data.y.tolist() == [0, 0, 1, 2] and data.num_classes == 3
    assert (data.x[0] == -1).all() and (data.x[1] == 1).all()
    assert data.x[2, :, 0, 0].tolist() == [1, -1, -1]
    assert (data.x[3] == 1).all(), "transparent pixels are composited onto white"


def test_folder_defaults_come_from_the_first_image(registry, class_folder):
    data = load_data(f"folder:{class_folder}", IMAGES, registry)
    assert data.shape == (1, 8, 8)


def test_flat_and_mixed_folders_have_no_labels(registry, tmp_path):
    save(tmp_path / "a.png", "RGB", (4, 4), 0)
    assert not load_data(f"folder:{tmp_path}", IMAGES, registry).has_labels
    with pytest.raises(GensynthError, match="has no class sub-folders, so no labels"):
        load_data(f"folder:{tmp_path}", DataRequest(labels=True), registry)
    save(tmp_path / "cls" / "b.png", "RGB", (4, 4), 0)
    assert not load_data(f"folder:{tmp_path}", IMAGES, registry).has_labels
    with pytest.raises(GensynthError, match="has 1 images at its top level and 1 in sub-folders"):
        load_data(f"folder:{tmp_path}", DataRequest(labels=True), registry)


def test_folder_errors(registry, tmp_path):
    with pytest.raises(GensynthError, match="folder .*missing does not exist"):
        load_data(f"folder:{tmp_path / 'missing'}", IMAGES, registry)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(GensynthError, match="notes.txt is not a folder"):
        load_data(f"folder:{tmp_path / 'notes.txt'}", IMAGES, registry)
    with pytest.raises(GensynthError, match="no images in .* looked for .png .jpg .jpeg .bmp .gif .webp .tif .tiff"):
        load_data(f"folder:{tmp_path}", IMAGES, registry)
    save(tmp_path / "good.png", "RGB", (4, 4), 0)
    (tmp_path / "bad.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(GensynthError, match="cannot read image .*bad.jpg"):
        load_data(f"folder:{tmp_path}", IMAGES, registry)


def test_alpha_and_palette_transparency_become_white():
    rgba = Image.new("RGBA", (2, 2), (0, 0, 0, 0))
    assert pil_to_uint8(rgba).tolist() == [[[255, 255], [255, 255]]] * 3
    grey_alpha = Image.new("LA", (1, 1), (0, 128))
    assert pil_to_uint8(grey_alpha).tolist() == [[[127]]]
    palette = Image.new("P", (1, 1), 0)
    palette.info["transparency"] = 0
    assert pil_to_uint8(palette).shape == (3, 1, 1) and (pil_to_uint8(palette) == 255).all()


def test_prepare_images_resizes_shorter_side_then_crops_centre():
    x = torch.zeros(1, 1, 4, 8, dtype=torch.uint8)
    x[..., 1:7] = 255  # black borders, left and right, that the centre crop removes
    out = prepare_images(x, 1, 2)
    assert out.shape == (1, 1, 2, 2) and torch.allclose(out, torch.ones(1, 1, 2, 2))
    with pytest.raises(GensynthError, match="use 1 \\(grey\\) or 3 \\(RGB\\)"):
        prepare_images(x, 4, 2)


# -- streaming ------------------------------------------------------------------


def test_streaming_matches_memory(registry, monkeypatch, tmp_path):
    for i in range(10):
        save(tmp_path / f"c{i % 3}" / f"{i}.png", "RGB", (6 + i, 6), (20 * i, 255 - 20 * i, 7 * i))
    request = DataRequest(image_size=5, channels=3, labels=True)
    memory = load_data(f"folder:{tmp_path}", request, registry)
    monkeypatch.setattr(dataset_module, "MAX_IN_MEMORY_IMAGES", 5)
    streaming = load_data(f"folder:{tmp_path}", request, registry)
    assert isinstance(streaming, StreamingImages) and streaming.info() == {**memory.info(), "streaming": True}
    expected = [next(s) for s in [BatchStream(memory, 3, seed=1)] for _ in range(7)]
    for workers in (0, 2):
        stream = BatchStream(streaming, 3, seed=1, num_workers=workers)
        for want in expected:
            got = next(stream)
            assert torch.equal(got["x"], want["x"]) and torch.equal(got["y"], want["y"])


def test_streaming_reports_a_corrupt_image_on_one_line(tmp_path):
    save(tmp_path / "a.png", "RGB", (4, 4), 0)
    (tmp_path / "b.png").write_bytes(b"garbage")
    data = StreamingImages([tmp_path / "a.png", tmp_path / "b.png"], channels=3, size=4)
    with pytest.raises(GensynthError) as caught:
        next(BatchStream(data, 2, seed=0, num_workers=1))
    assert str(caught.value).startswith("cannot read image ") and "b.png" in str(caught.value)
    assert "\n" not in str(caught.value)


# -- torchvision ----------------------------------------------------------------


def test_torchvision_reads_files_on_disk(registry, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    train = write_mnist(raw, "train", 5)
    write_mnist(raw, "t10k", 2)
    data = load_data(f"torchvision:MNIST:{tmp_path}", DataRequest(labels=True), registry)
    assert torch.allclose(data.x, torch.from_numpy(train).float().unsqueeze(1) / 127.5 - 1, atol=1e-6)
    assert data.y.tolist() == [0, 1, 2, 0, 1] and data.num_classes == 10


def test_torchvision_errors(registry, tmp_path):
    with pytest.raises(GensynthError, match="dataset MNIST is not under .*pass --download to fetch it"):
        load_data(f"torchvision:mnist:{tmp_path}", IMAGES, registry)
    with pytest.raises(GensynthError, match="no dataset 'CIFAR11': did you mean CIFAR10.*valid names include MNIST"):
        load_data(f"torchvision:CIFAR11:{tmp_path}", IMAGES, registry)
    with pytest.raises(GensynthError, match="torchvision needs NAME:ROOT, got 'MNIST'"):
        load_data("torchvision:MNIST", IMAGES, registry)


# -- 2-D mixtures ---------------------------------------------------------------


@pytest.mark.parametrize("name, modes, std", [("ring8", 8, 0.01), ("grid25", 25, 0.05)])
def test_mixture_statistics(registry, name, modes, std):
    data = load_data(name, POINTS, registry)
    centres, mode_std = mixture_modes(name)
    assert centres.shape == (modes, 2) and mode_std == std
    assert data.x.shape == (100_000, 2) and data.num_classes == modes
    counts = data.y.bincount(minlength=modes)
    assert (counts - 100_000 / modes).abs().max() < 0.05 * 100_000 / modes
    for k in range(modes):
        points = data.x[data.y == k]
        assert torch.allclose(points.mean(0), centres[k], atol=std / 10)
        assert torch.allclose(points.std(0), torch.tensor([std, std]), rtol=0.05)
    assert torch.equal(load_data(name, POINTS, registry).x, data.x)


def test_ring8_centres_on_unit_circle():
    centres, _ = mixture_modes("ring8")
    assert torch.allclose(centres.norm(dim=1), torch.ones(8))


# -- batch order ----------------------------------------------------------------


@pytest.fixture
def ten() -> TensorData:
    return TensorData(torch.arange(10.0).unsqueeze(1), torch.arange(10), num_classes=10)


def take(stream: BatchStream, n: int) -> list[list[int]]:
    return [next(stream)["y"].tolist() for _ in range(n)]


def test_batches_follow_epoch_permutations_and_drop_the_rest(ten):
    stream = BatchStream(ten, 3, seed=7)
    assert stream.steps_per_epoch == 3
    batches = take(stream, 6)
    for epoch in range(2):
        order = epoch_order(10, 7, epoch).tolist()
        assert sum(batches[3 * epoch:3 * epoch + 3], []) == order[:9]
    assert batches[:3] != batches[3:]


def test_an_epoch_order_is_seeded_by_the_one_derived_seed_rule():
    from gensynth._metadata.seeds import GENERATOR_SEEDS, MAX_SEED, derived_seed
    assert (derived_seed(7, 2), derived_seed(0, 0)) == (7 * 1_000_003 + 2, 0)  # the rule every figure was made with
    assert 0 <= derived_seed(MAX_SEED, 10**12) <= GENERATOR_SEEDS
    expected = torch.randperm(10, generator=torch.Generator().manual_seed(derived_seed(7, 2)))
    assert torch.equal(epoch_order(10, 7, 2), expected)


def test_batch_order_is_deterministic_and_leaves_the_global_rng_alone(ten):
    state = torch.get_rng_state()
    assert take(BatchStream(ten, 4, seed=3), 10) == take(BatchStream(ten, 4, seed=3), 10)
    assert take(BatchStream(ten, 4, seed=3), 10) != take(BatchStream(ten, 4, seed=4), 10)
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("start", [0, 1, 2, 3, 7])
def test_restart_at_any_step_gives_the_same_batches(ten, start):
    fresh = take(BatchStream(ten, 3, seed=5), 12)
    assert take(BatchStream(ten, 3, seed=5, start_step=start), 12 - start) == fresh[start:]


def test_batch_dict_and_device(ten):
    batch = next(BatchStream(ten, 2, seed=0, device="cpu"))
    assert set(batch) == {"x", "y"} and batch["x"].shape == (2, 1)
    no_labels = TensorData(torch.zeros(4, 2))
    assert set(next(BatchStream(no_labels, 2, seed=0))) == {"x"}


def test_batch_size_larger_than_data(ten):
    message = r"batch size 11 is larger than the data \(10 samples\); use batch_size=10 or less"
    with pytest.raises(GensynthError, match=message):
        BatchStream(ten, 11, seed=0)
    assert BatchStream.steps_for(10, 3) == 3
