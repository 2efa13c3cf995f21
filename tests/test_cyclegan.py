"""The built-in CycleGAN: networks, losses, pools, schedule, multi-domain data, save/load and exact resume."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file, save_file

from gensynth import Features, FeatureExtractor, api
from gensynth._data.dataset import TensorData
from gensynth._data.domains import DomainBatches, load_model_data, open_batches, steps_per_epoch
from gensynth._data.loader import BatchStream
from gensynth._metadata.request import DataRequest
from gensynth._errors import GensynthError
from gensynth.plugins.cyclegan.config import CycleGANConfig, receptive_field
from gensynth.plugins.cyclegan.model import CycleGAN
from gensynth._training.schedules import linear_decay
from gensynth.plugins.cyclegan.networks import ResnetBlock, patch_discriminator
from gensynth.plugins.cyclegan.pool import ImagePool
from gensynth.plugins.cyclegan.semantic import SemanticConsistency, semantic_consistency
from resume_support import train_interrupted_then_resumed
from gensynth.plugins.metrics import classifier
from gensynth._discovery.registry import get_registry
from gensynth._training.rundir import RunDir

TINY = {"image_size": 16, "ngf": 4, "ndf": 4, "n_blocks": 1, "pool_size": 4}


def batch(config: CycleGANConfig, n: int = 3) -> dict[str, dict[str, torch.Tensor]]:
    size = config.image_size
    return {"a": {"x": torch.rand(n, config.channels_a, size, size) * 2 - 1},
            "b": {"x": torch.rand(n, config.channels_b, size, size) * 2 - 1}}


def iterate(model: CycleGAN, data: dict, optimizers: dict) -> tuple[dict[str, float], set[str]]:
    """One iteration as the Trainer runs it; the logs and the parameters that got a gradient."""
    logs, with_grad, scratch = {}, set(), {}
    for phase in model.training_phases():
        optimizers[phase.optimizer].zero_grad(set_to_none=True)
        loss, parts = phase.loss(data, scratch)
        loss.backward()
        with_grad |= {n for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
        optimizers[phase.optimizer].step()
        logs.update({phase.name: loss.item(), **{k: v.item() for k, v in parts.items()}})
    return logs, with_grad


def write_images(folder: Path, n: int, size: tuple[int, int] = (20, 24), seed: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, size, dtype=np.uint8)).save(folder / f"{i}.png")


@pytest.fixture
def unpaired(tmp_path) -> Path:
    """The reference layout with domains of different sizes (10 and 7 images)."""
    write_images(tmp_path / "up" / "trainA", 10, seed=1)
    write_images(tmp_path / "up" / "trainB", 7, seed=2)
    return tmp_path / "up"


# -- model ----------------------------------------------------------------------


@pytest.mark.parametrize("changes", [{}, {"channels_b": 3, "lambda_identity": 0.0, "gan_mode": "vanilla"}])
def test_one_iteration_trains_every_parameter(changes):
    torch.manual_seed(0)
    config = CycleGANConfig(**TINY, **changes)
    model = CycleGAN(config)
    data = batch(config)
    logs, with_grad = iterate(model, data, model.configure_optimizers())
    assert with_grad == {n for n, _ in model.named_parameters()}
    identity = {"g/idt_a", "g/idt_b"} if config.lambda_identity else set()
    assert set(logs) == {"g", "d", "g/adv_ab", "g/adv_ba", "g/cycle_a", "g/cycle_b", "d/a", "d/b"} | identity
    assert all(math.isfinite(v) for v in logs.values())
    assert math.isclose(logs["g"], sum(v for k, v in logs.items() if k.startswith("g/")), rel_tol=1e-5)
    fake_b = model.translate(data["a"]["x"], "a2b")
    assert fake_b.shape == data["b"]["x"].shape and fake_b.min() >= -1 and fake_b.max() <= 1
    assert model.translate(fake_b, "b2a").shape == data["a"]["x"].shape
    previews = model.previews(data, 2, seed=0)
    assert set(previews) == {"a2b", "b2a"}
    assert previews["a2b"].shape[:2] == (1, max(config.channels_a, config.channels_b))  # one labelled contact sheet


def test_networks_follow_the_reference_and_scale_down():
    def blocks(net):
        return sum(isinstance(m, ResnetBlock) for m in net.modules())

    def strided(disc):
        return sum(isinstance(m, torch.nn.Conv2d) and m.stride == (2, 2) for m in disc)

    big = CycleGAN(CycleGANConfig(image_size=256, ngf=8, ndf=8, n_blocks=None))
    mid = CycleGAN(CycleGANConfig(image_size=128, ngf=8, ndf=8, n_blocks=None))
    small = CycleGAN(CycleGANConfig(ngf=8, ndf=8))
    assert (blocks(big.g_ab), blocks(mid.g_ba), blocks(small.g_ab)) == (9, 6, 3)  # small: the small recipe's 3
    assert (strided(big.d_a), strided(mid.d_b), strided(small.d_a)) == (3, 3, 2)
    assert strided(CycleGAN(CycleGANConfig(image_size=8, ngf=2, ndf=2)).d_a) == 1
    norms = [m for m in small.modules() if isinstance(m, torch.nn.InstanceNorm2d)]
    assert norms and not any(m.affine or m.track_running_stats for m in norms)
    assert any(isinstance(m, torch.nn.ReflectionPad2d) for m in small.g_ab)
    assert small.d_a(torch.zeros(2, 1, 28, 28)).shape == (2, 1, 5, 5)


def seen_squares(disc: torch.nn.Sequential, channels: int) -> list[tuple[int, int]]:
    """``(height, width)`` of the input patch that one central output of ``disc`` depends on, per input channel.

    Normalisation (which mixes the whole image) is left out; weights are ones, biases zeros.
    """
    disc = torch.nn.Sequential(*[m for m in disc if not isinstance(m, torch.nn.InstanceNorm2d)]).double()
    for m in disc:
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.ones_(m.weight)
            torch.nn.init.zeros_(m.bias)
    x = torch.rand(1, channels, 160, 160, dtype=torch.float64, requires_grad=True)
    out = disc(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    squares = []
    for channel in range(channels):
        rows, cols = (x.grad[0, channel] != 0).nonzero().unbind(1)
        squares.append((int(rows.max() - rows.min()) + 1, int(cols.max() - cols.min()) + 1))
    return squares


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_patch_discriminator_receptive_field(layers):
    """One output depends on exactly a ``receptive_field(layers)``-pixel square of the input."""
    side = receptive_field(layers)
    assert seen_squares(patch_discriminator(1, 1, layers), 1) == [(side, side)]
    assert [receptive_field(k) for k in (1, 2, 3)] == [16, 34, 70]


def test_schedule_is_constant_then_linear_to_zero():
    assert [round(linear_decay(10, 0.5)(s), 6) for s in range(11)] == [1] * 6 + [0.8, 0.6, 0.4, 0.2, 0.0]
    assert all(linear_decay(10, 1.0)(s) == 1 for s in range(11))
    model = CycleGAN(CycleGANConfig(**TINY, lr=1.0, decay_start=0.5))
    optimizers = model.configure_optimizers()
    schedulers = model.configure_schedulers(optimizers, 4)
    seen = []
    for _ in range(4):
        seen.append([opt.param_groups[0]["lr"] for opt in optimizers.values()])
        for opt in optimizers.values():
            opt.step()
        for scheduler in schedulers.values():
            scheduler.step()
    assert seen == [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [0.5, 0.5]]


def test_image_pool_mixes_past_fakes_from_the_global_rng():
    first = torch.arange(3.0).view(3, 1, 1, 1)
    second = torch.arange(3.0, 9.0).view(6, 1, 1, 1)

    def run(seed):
        torch.manual_seed(seed)
        pool = ImagePool(4)
        assert torch.equal(pool.query(first), first)  # while it fills, images come back as given
        return pool.query(second), pool

    out, pool = run(0)
    assert len(out) == 6 and len(pool.images) == 4 and not torch.equal(out, second)
    # each image is returned or kept exactly once; image 3 filled the last slot and was returned too
    assert sorted(out.flatten().tolist() + pool.state().flatten().tolist()) == sorted([*range(9), 3])
    assert torch.equal(run(0)[0], out)
    restored = ImagePool(4)
    restored.load_state(pool.state(), torch.device("cpu"))
    assert torch.equal(restored.state(), pool.state())
    assert torch.equal(ImagePool(0).query(second), second) and ImagePool(3).state().numel() == 0


def test_save_load_gives_identical_translations(tmp_path):
    torch.manual_seed(0)
    config = CycleGANConfig(**TINY)
    model = CycleGAN(config)
    data = batch(config)
    iterate(model, data, model.configure_optimizers())
    save_file(model.state_dict(), tmp_path / "model.safetensors")
    restored = CycleGAN(config)
    restored.load_state_dict(load_file(tmp_path / "model.safetensors"))
    for direction, x in (("a2b", data["a"]["x"]), ("b2a", data["b"]["x"])):
        assert torch.equal(restored.translate(x, direction), model.translate(x, direction))


def test_semantic_loss_is_zero_when_the_classes_agree_and_large_when_they_do_not():
    confident = torch.nn.functional.one_hot(torch.tensor([3, 1, 4]), 10).float() * 50
    agree = semantic_consistency(confident, confident * 2)
    assert agree.item() < 1e-9
    assert semantic_consistency(confident, confident.roll(1, dims=0)).item() > 40
    logits = torch.randn(5, 10, requires_grad=True)
    semantic_consistency(logits.detach(), logits).backward()
    assert logits.grad.abs().sum() > 0  # gradients reach the translated images' side


def test_semantic_judges_follow_the_labelled_domains():
    facts = {"a": {"source": "mnist:X", "num_classes": 10}, "b": {"source": "digits", "num_classes": 10}}
    sources = SemanticConsistency.from_data(facts, ("a2b", "b2a"), 1, 28, judge="source")
    assert sources.judges == {"a2b": ("a", "mnist:X"), "b2a": ("b", "digits")}  # each direction its source's
    one = SemanticConsistency.from_data({**facts, "b": {"source": "folder:Y", "num_classes": None}}, ("a2b", "b2a"), 1, 28)
    assert one.judges == {"a2b": ("a", "mnist:X"), "b2a": ("a", "mnist:X")}  # auto, CyCADA: the labelled domain's
    with pytest.raises(GensynthError, match="needs class labels in domain a or b"):
        SemanticConsistency.from_data({"a": {"num_classes": None}, "b": {}}, ("a2b",), 1, 28)
    with pytest.raises(GensynthError, match="they have 10 and 7 classes"):
        SemanticConsistency.from_data({**facts, "b": {"source": "d", "num_classes": 7}}, ("a2b",), 1, 28)
    joint = SemanticConsistency.from_data(facts, ("a2b", "b2a"), 1, 28)  # auto: both domains have labels
    assert joint.judges == {d: ("both", "join:[mnist:X]+[digits]") for d in ("a2b", "b2a")}  # one for both styles
    with pytest.raises(GensynthError, match="semantic_judge=both trains one judge on every domain's training data, "
                                            "and domain b has no labels; use semantic_judge=source"):
        SemanticConsistency.from_data({**facts, "b": {"source": "folder:Y", "num_classes": None}}, ("a2b",), 1, 28,
                                      judge="both")
    one_source = {d: {"source": "edges:digits", "num_classes": 10} for d in ("a", "b")}
    assert SemanticConsistency.from_data(one_source, ("a2b",), 1, 28).judges == {"a2b": ("a", "edges:digits")}
    with pytest.raises(GensynthError, match=r"the domains come from one source \(edges:digits\), which a join cannot "
                                            "split into its domains; use semantic_judge=source"):
        SemanticConsistency.from_data(one_source, ("a2b",), 1, 28, judge="both")
    bracketed = {**facts, "a": {"source": "folder:/data/set[1]", "num_classes": 10}}
    assert SemanticConsistency.from_data(bracketed, ("a2b",), 1, 28).judges["a2b"][0] == "a"
    model = CycleGAN(CycleGANConfig(**TINY, lambda_semantic=1.0))
    with pytest.raises(GensynthError, match=r"needs the facts of the training data: call model.bind_data\(info\)"):
        model.training_phases()[0].loss(batch(model.config), {})
    model.bind_data(facts)
    judge = StubClassifier()
    model.semantic._classifiers = {"both": judge}
    logs, with_grad = iterate(model, batch(model.config), model.configure_optimizers())
    assert {"g/sem_ab", "g/sem_ba"} <= set(logs) and logs["g/sem_ab"] > 0
    assert with_grad == {n for n, _ in model.named_parameters()}
    assert not any("judge" in name or "semantic" in name for name in model.state_dict())


#: The facts ``bind_data`` receives for two labelled domains of 10 classes.
LABELLED = {"a": {"source": "mnist:X", "num_classes": 10}, "b": {"source": "digits", "num_classes": 10}}


def labelled_batch(config: CycleGANConfig) -> dict[str, dict[str, torch.Tensor]]:
    data = batch(config)
    data["a"]["y"], data["b"]["y"] = torch.tensor([3, 1, 4]), torch.tensor([1, 5, 9])
    return data


def judged_model(**changes) -> tuple[CycleGAN, StubClassifier]:
    """A seeded CycleGAN with the semantic loss on LABELLED data, judged by a stub classifier."""
    torch.manual_seed(0)
    model = CycleGAN(CycleGANConfig(**TINY, lambda_semantic=1.0, **changes))
    model.bind_data(LABELLED)
    torch.manual_seed(1)
    judge = StubClassifier()
    model.semantic._classifiers = {"both": judge}
    return model, judge


def test_semantic_classes_label_holds_translations_to_the_inputs_own_labels():
    data = labelled_batch(CycleGANConfig(**TINY))
    losses = {}
    for classes in ("judge", "label"):
        model, judge = judged_model(semantic_classes=classes)
        _, parts = model.training_phases()[0].loss(data, {})
        losses[classes] = parts
        fake_b = model.g_ab(data["a"]["x"])
    against_labels = torch.nn.functional.cross_entropy(judge.extract(fake_b).logits, data["a"]["y"])
    assert torch.allclose(losses["label"]["g/sem_ab"], against_labels)
    against_judge = semantic_consistency(judge.extract(data["a"]["x"]).logits, judge.extract(fake_b).logits)
    assert torch.allclose(losses["judge"]["g/sem_ab"], against_judge)
    assert not torch.allclose(against_labels, against_judge)
    del data["b"]["y"]  # a domain without labels falls back to the judge's classes
    assert torch.isfinite(model.training_phases()[0].loss(data, {})[1]["g/sem_ba"])


def test_semantic_augment_shows_the_judge_transformed_translations():
    data = labelled_batch(CycleGANConfig(**TINY))
    seen = {}
    for policy in ("", "translation"):
        model, judge = judged_model(semantic_augment=policy)
        model.training_phases()[0].loss(data, {})
        seen[policy] = judge.read[0]  # what the judge read of the A -> B translations
        fake_b = model.g_ab(data["a"]["x"])
    assert torch.equal(seen[""], fake_b)
    assert seen["translation"].shape == fake_b.shape and not torch.equal(seen["translation"], fake_b)
    assert seen["translation"].requires_grad  # gradients reach the generator through the transformation
    with pytest.raises(GensynthError, match="augmentation diffaugment has no operation 'blur'; its policy is a "
                                            "comma-separated list of: color, translation, cutout"):
        CycleGAN(CycleGANConfig(**TINY, lambda_semantic=1.0, semantic_augment="blur"))


def test_conditional_discriminators_read_each_image_with_its_class():
    torch.manual_seed(0)
    config = CycleGANConfig(**TINY, num_classes=3)
    model = CycleGAN(config)
    assert model.d_a[0].in_channels == model.d_b[0].in_channels == 1 + 3  # the image and one plane per class
    data = batch(config)
    data["a"]["y"], data["b"]["y"] = torch.tensor([0, 2, 1]), torch.tensor([1, 1, 0])
    logs, with_grad = iterate(model, data, model.configure_optimizers())
    assert with_grad == {n for n, _ in model.named_parameters()} and all(math.isfinite(v) for v in logs.values())
    one_hot = torch.nn.functional.one_hot
    pooled_b, pooled_a = model.pool_b.state(), model.pool_a.state()  # fakes kept with their inputs' classes
    assert pooled_b.shape == (3, 1 + 3, 16, 16)
    assert torch.equal(pooled_b[:, 1:, 5, 7], one_hot(data["a"]["y"], 3).float())
    assert torch.equal(pooled_a[:, 1:, 0, 15], one_hot(data["b"]["y"], 3).float())
    assert model.translate(data["a"]["x"], "a2b").shape == data["b"]["x"].shape  # translating needs no class
    labelled = {"a": {"source": "mnist:X", "num_classes": 3}, "b": {"source": "digits", "num_classes": 3}}
    model.bind_data(labelled)
    with pytest.raises(GensynthError, match=r"data\['a'\]='mnist:X' has 10 classes but this model is configured for 3; "
                                            r"pass config=\{'num_classes': 10\}"):
        model.bind_data(LABELLED)
    with pytest.raises(GensynthError, match="records None classes, not a class count"):
        model.bind_data({**labelled, "a": {"source": "folder:Y", "num_classes": None}})
    with pytest.raises(GensynthError, match="num_classes conditions both discriminators on one set of classes, and "
                                            "they have 3 and 5 classes; give domains that share their classes, or "
                                            "set num_classes=0"):
        model.bind_data({**labelled, "b": {"source": "digits", "num_classes": 5}})
    assert model.data_request()["b"].labels and not CycleGAN(CycleGANConfig(**TINY)).data_request()["a"].labels
    del data["b"]["y"]
    with pytest.raises(GensynthError, match="conditions the discriminators on class labels, and a batch has none"):
        model.training_phases()[0].loss(data, {})


def test_the_judge_trains_for_semantic_judge_steps(tmp_path, monkeypatch):
    monkeypatch.setenv("GENSYNTH_CACHE_DIR", str(tmp_path / "cache"))
    model = CycleGAN(CycleGANConfig(**TINY, lambda_semantic=1.0, semantic_judge="source", semantic_judge_steps=7))
    model.bind_data({"a": {"source": "digits@:40", "num_classes": 10}, "b": {"source": "digits@40:80", "num_classes": 10}})
    judge = model.semantic.classifier("a", torch.device("cpu"))
    assert judge.describe()["recipe"]["steps"] == 7 and judge.describe()["train_spec"] == "digits@:40"
    assert CycleGANConfig().semantic_judge_steps == classifier.ClassifierRecipe().steps  # the extractor's default


class StubClassifier(FeatureExtractor):
    """A linear classifier of 16x16 grey images, standing in for the trained domain classifier."""

    has_logits = True

    def __init__(self) -> None:
        self.net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, 10)).requires_grad_(False)
        self.read: list[torch.Tensor] = []  # every batch of images it classified

    def describe(self):
        return {}

    def extract(self, images):
        self.read.append(images)
        logits = self.net(images)
        return Features(logits, logits)


def test_sample_translate_and_config_errors():
    model = CycleGAN(CycleGANConfig(**TINY))
    with pytest.raises(GensynthError, match=r"cannot generate .*`gensynth translate RUN --direction a2b INPUT -o OUT_DIR`"):
        model.sample(4, seed=0)
    with pytest.raises(GensynthError, match="unknown direction 'a2c'"):
        model.translate(torch.zeros(1, 1, 16, 16), "a2c")
    with pytest.raises(GensynthError, match=r"a2b translates domain A images shaped \(N, 1, H, W\)"):
        model.translate(torch.zeros(1, 3, 16, 16), "a2b")
    for changes, message in [({"image_size": 30}, "multiple of 4"),
                             ({"channels_b": 3}, "identity loss needs channels_a == channels_b"),
                             ({"channels_b": 3, "lambda_identity": 0, "lambda_semantic": 1},
                              "semantic loss needs channels_a == channels_b; set lambda_semantic=0"),
                             ({"d_layers": 3}, "d_layers must be between 1 and 2 for 16 px"),
                             ({"decay_start": 1.5}, r"'decay_start' must be in \[0, 1\], got 1.5"),
                             ({"ngf": 0}, r"'ngf' must be in \[1, 1024\]"),
                             ({"image_size": 4}, r"'image_size' must be in \[8, 1024\]"),
                             ({"lr": 0.0}, "'lr' must be above 0")]:
        with pytest.raises(GensynthError, match=message):
            CycleGAN(CycleGANConfig(**{**TINY, **changes}))


# -- multi-domain data -----------------------------------------------------------


def test_each_domain_has_its_own_restartable_order():
    a = TensorData(torch.arange(10.0).unsqueeze(1), torch.arange(10), num_classes=10)
    b = TensorData(torch.arange(10.0).unsqueeze(1), torch.arange(10), num_classes=10)
    short = TensorData(torch.arange(7.0).unsqueeze(1), torch.arange(7), num_classes=7)

    def take(stream, n):
        return [{d: part["y"].tolist() for d, part in next(stream).items()} for _ in range(n)]

    fresh = take(DomainBatches({"a": a, "b": b}, 3, seed=5), 8)
    assert all(step["a"] != step["b"] for step in fresh[:3]), "equal-sized domains must not be paired in lockstep"
    for start in (1, 3, 6):
        assert take(open_batches({"a": a, "b": b}, 3, 5, start_step=start), 8 - start) == fresh[start:]
    assert take(DomainBatches({"a": a, "b": short}, 3, seed=5), 8)[5]["a"] == fresh[5]["a"]
    assert steps_per_epoch({"a": a, "b": short}, 3) == 3 and steps_per_epoch(short, 3) == 2
    assert isinstance(open_batches(a, 3, 5), BatchStream)


def test_multi_domain_data_and_its_errors(unpaired):
    registry = get_registry()
    request = CycleGAN(CycleGANConfig(**TINY)).data_request()
    both = load_model_data(f"unpaired:{unpaired}", request, registry)
    assert {d: len(part) for d, part in both.items()} == {"a": 10, "b": 7}
    assert both["a"].shape == (1, 16, 16)
    mixed = load_model_data({"a": f"folder:{unpaired}/trainB", "b": f"unpaired:{unpaired}"}, request, registry)
    assert torch.equal(mixed["a"].x, mixed["b"].x)
    for specs, message in [
        ("digits", r"learns between the data domains a, b and data='digits' is one data set: give "
                   r"data=\{'a': 'SPEC', 'b': 'SPEC'\}, or data='edges:SPEC / paired:PATH / unpaired:PATH'"),
        ({"a": "digits"}, "no data for domain b"),
        ({"a": "digits", "b": "digits", "c": "digits"}, "there is no domain c"),
        (f"unpaired:{unpaired / 'trainA'}", "has no trainA/ folder"),
    ]:
        with pytest.raises(GensynthError, match=message):
            load_model_data(specs, request, registry)
    with pytest.raises(GensynthError, match="holds the data domains a, b .* this model trains on one data set"):
        load_model_data(f"unpaired:{unpaired}", DataRequest(), registry)
    with pytest.raises(GensynthError, match="trains on one data set, not on domains a, b"):
        load_model_data({"a": "digits", "b": "digits"}, DataRequest(), registry)


# -- training -------------------------------------------------------------------


def test_resume_is_bit_exact_with_pools_and_schedule(tmp_path, unpaired):
    """A run interrupted at step 3 of 6 and resumed ends exactly as one that ran through
    (the learning rate decays over the same 6 steps in both)."""
    common = dict(config=TINY, batch_size=3, seed=1, device="cpu", checkpoint_every=100, sample_every=3, log_every=1)
    data = f"unpaired:{unpaired}"
    api.train("cyclegan", data, tmp_path / "once", steps=6, **common)
    train_interrupted_then_resumed("cyclegan", data, tmp_path / "split", steps=6, stop_at=3, **common)

    runs = [RunDir(tmp_path / name) for name in ("once", "split")]
    weights = [load_file(str(run.weights_path)) for run in runs]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    once, split = (run.load_checkpoint(run.latest_checkpoint()[1])[1] for run in runs)
    assert once["step"] == split["step"] == 6
    for pool in ("pool_a", "pool_b"):
        assert once["model"][pool].shape == (4, 1, 16, 16) and torch.equal(once["model"][pool], split["model"][pool])
    assert once["schedulers"] == split["schedulers"] and once["schedulers"]["g"]["_last_lr"] == [0.0]
    assert torch.equal(once["optimizers"]["d"]["state"][0]["exp_avg"], split["optimizers"]["d"]["state"][0]["exp_avg"])
    assert sorted(p.name for p in runs[0].samples_dir.iterdir()) == [
        "a2b-step-00000003.png", "a2b-step-00000006.png", "b2a-step-00000003.png", "b2a-step-00000006.png"]
    recorded = runs[0].read_config()["data"]
    assert recorded["spec"] == data and {d: info["size"] for d, info in recorded["info"].items()} == {"a": 10, "b": 7}


@pytest.mark.parametrize("extra", [{}, {"num_classes": 10, "semantic_augment": "translation"}])
def test_resume_with_the_semantic_loss_is_exact_and_the_classifier_is_not_saved(tmp_path, monkeypatch, extra):
    """The frozen domain classifier (trained once, cached) is neither in the weights nor in the training state;
    with conditional discriminators and transformed judge views too (the pools keep the class planes)."""
    monkeypatch.setenv("GENSYNTH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(classifier, "parse_recipe", lambda options: classifier.ClassifierRecipe(steps=20, batch_size=8))
    common = dict(config={**TINY, "lambda_semantic": 1.0, **extra}, batch_size=4, seed=1, device="cpu", checkpoint_every=100,
                  sample_every=100, log_every=1)
    data = {"a": "digits@:40", "b": "digits@40:80"}  # labelled domains: one judge trained on both (auto)
    api.train("cyclegan", data, tmp_path / "once", steps=3, **common)  # trains the classifiers: a cache miss
    train_interrupted_then_resumed("cyclegan", data, tmp_path / "split", steps=3, stop_at=2, **common)  # a cache hit
    runs = [RunDir(tmp_path / name) for name in ("once", "split")]
    weights = [load_file(str(run.weights_path)) for run in runs]
    assert weights[0].keys() == {k for k in CycleGAN(CycleGANConfig(**TINY)).state_dict()}
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    once, split = (run.load_checkpoint(run.latest_checkpoint()[1])[1] for run in runs)
    assert set(once["model"]) == {"pool_a", "pool_b"} and torch.equal(once["model"]["pool_a"], split["model"]["pool_a"])
    assert once["model"]["pool_a"].shape[1] == 1 + extra.get("num_classes", 0)
    assert len(list((tmp_path / "cache" / "classifiers").iterdir())) == 1  # trained once for both runs


def test_run_records_a_spec_per_domain_and_refuses_other_data_on_resume(tmp_path, unpaired):
    data = {"a": f"folder:{unpaired}/trainA", "b": f"folder:{unpaired}/trainB"}
    api.train("cyclegan", data, tmp_path / "r", epochs=1, config=TINY, batch_size=3, device="cpu")
    run = RunDir(tmp_path / "r")
    assert run.read_config()["data"]["spec"] == data and run.latest_checkpoint()[0] == 3  # 10 // 3, the largest domain
    with pytest.raises(GensynthError, match=re.escape(f"trained on data={data!r}, not data='unp")):
        api.train("cyclegan", f"unpaired:{unpaired}", run.path, steps=4, config=TINY, batch_size=3, device="cpu",
                  resume=True)


# -- registration ---------------------------------------------------------------


def test_registered_through_the_entry_point():
    spec = get_registry().resolve("models", "cyclegan")
    assert (spec.id, spec.family, spec.config, spec.capabilities) == ("cyclegan:cyclegan", "cyclegan", CycleGANConfig,
                                                                      ("translate",))
    assert spec.load() is CycleGAN
    assert get_registry().resolve("datasets", "unpaired").domains == ("a", "b")


def test_listing_cyclegan_does_not_import_torch():
    code = ("import sys\nfrom click.testing import CliRunner\nfrom gensynth.cli.main import cli\n"
            "for args in (['list-models'], ['info', 'cyclegan']):\n"
            "    result = CliRunner().invoke(cli, args, terminal_width=200)\n"
            "    assert result.exit_code == 0 and 'cyclegan' in result.output, result.output\n"
            "assert 'torch' not in sys.modules and 'gensynth.plugins.cyclegan.model' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)
