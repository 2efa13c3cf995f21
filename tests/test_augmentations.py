"""Discriminator augmentations: DiffAugment, ADA, the registration hook, and their use in every GAN's training."""

from __future__ import annotations

import types

import pytest
import torch

import gensynth._discovery.registry
from gensynth import Augmentation, AugmentationSpec, GensynthError, api, build_augmentation, hookimpl
from gensynth._discovery.loader import PluginManager, PluginRecord
from gensynth._discovery.registry import Registry
from gensynth.plugins.gan.ada import ADA, OPERATIONS
from gensynth.plugins.gan.config import DCGANConfig
from gensynth.plugins.gan.dcgan import DCGAN
from gensynth.plugins.gan.diffaugment import DiffAugment
from gensynth.testing import check_model

TINY = {"g_width": 4, "d_width": 4, "latent_dim": 8}


def images(n: int = 6, channels: int = 3, size: int = 16) -> torch.Tensor:
    return torch.rand(n, channels, size, size, generator=torch.Generator().manual_seed(0)) * 2 - 1


AUGMENTATIONS = {
    "diffaugment": lambda p=None: DiffAugment(p=p),
    "ada": lambda p=1.0: ADA(policy=",".join(OPERATIONS), p=p),
}


@pytest.mark.parametrize("name", AUGMENTATIONS)
@pytest.mark.parametrize("channels", [1, 3])
def test_augmentations_keep_the_shape_and_transform_each_image(name, channels):
    x = images(channels=channels)
    out = AUGMENTATIONS[name]()(x)
    assert out.shape == x.shape and out.dtype == x.dtype and torch.isfinite(out).all()
    assert not torch.equal(out, x)


@pytest.mark.parametrize("augmentation", [DiffAugment(policy="translation,cutout"),
                                          ADA(policy="blit,geom,cutout", p=1.0)], ids=["diffaugment", "ada"])
def test_geometric_operations_and_cutout_stay_in_the_image_range(augmentation):
    out = augmentation(images())
    assert out.min() >= -1 and out.max() <= 1


def test_colour_operations_shift_and_scale_each_image_as_documented():
    x = images(channels=1)
    shift = ADA(policy="brightness", p=1.0)(x) - x
    assert torch.allclose(shift, shift[:, :, :1, :1].expand_as(shift), atol=1e-6)  # one offset per image
    gain = ADA(policy="contrast", p=1.0)(x) / x
    assert torch.allclose(gain, gain[:, :, :1, :1].expand_as(gain), atol=1e-4) and (gain > 0).all()
    out = DiffAugment(policy="color")(x)  # on grey: an increasing affine map of each image's pixels
    order = x.flatten(1).argsort(dim=1)
    assert (out.flatten(1).gather(1, order).diff(dim=1) >= -1e-6).all()


@pytest.mark.parametrize("name", AUGMENTATIONS)
def test_augmentations_are_the_identity_at_p_zero(name):
    x = images()
    assert torch.equal(AUGMENTATIONS[name](p=0.0)(x), x)


def test_unchosen_images_pass_through_untouched():
    torch.manual_seed(0)
    x = images(n=64)
    out = ADA(p=0.05)(x)
    same = (out == x).flatten(1).all(dim=1)
    assert 0 < same.sum() < 64  # most images untouched, some transformed


@pytest.mark.parametrize("name", ["diffaugment", "ada"])
def test_gradients_reach_the_generator_through_the_augmentation(name):
    model = DCGAN(DCGANConfig(**TINY, augment=name, augment_p=1.0, image_size=32, channels=3))
    fake = model.gen(torch.randn(4, 8))
    model.discriminate(fake, None).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.gen.parameters())


def test_ada_p_rises_when_the_discriminator_overfits_and_falls_when_it_does_not():
    ada = ADA(p=0.5, target=0.6, interval=4, speed_kimg=1.0)  # 1,000 images from 0 to 1
    overfit = torch.ones(50, 1)  # r_t = 1 > 0.6
    for _ in range(3):
        ada.observe(overfit)
    assert float(ada.p) == 0.5  # adjusted every 4 steps only
    ada.observe(overfit)
    assert float(ada.rt) == 1.0 and float(ada.p) == pytest.approx(0.5 + 200 / 1000)
    balanced = torch.cat([torch.ones(25, 1), -torch.ones(25, 1)])  # r_t = 0 < 0.6
    for _ in range(4 * 10):
        ada.observe(balanced)
    assert float(ada.rt) == 0.0 and float(ada.p) == 0.0  # clamped at 0
    assert set(ada.logs()) == {"augment/p", "augment/rt"}


def test_ada_without_a_target_keeps_p_fixed():
    ada = ADA(p=0.3, target=None)
    for _ in range(8):
        ada.observe(torch.ones(10, 1))
    assert float(ada.p) == pytest.approx(0.3) and set(ada.logs()) == {"augment/p"}


def test_ada_state_is_training_state_not_weights():
    model = DCGAN(DCGANConfig(**TINY, augment="ada", augment_p=0.25, ada_interval=3))
    model.augment.observe(torch.ones(4, 1))
    assert not any(key.startswith("augment") for key in model.state_dict())  # the weights are the networks'
    state = model.training_state()
    assert state["augment"]["p"] == 0.25 and state["augment"]["steps"] == 1
    restored = DCGAN(DCGANConfig(**TINY, augment="ada", ada_interval=3))
    restored.load_training_state(state)
    for ada in (model.augment, restored.augment):  # both reach the adjustment with the same sums
        ada.observe(torch.ones(4, 1))
        ada.observe(-torch.ones(2, 1))
    assert restored.augment.p == model.augment.p and restored.augment.rt == model.augment.rt == 0.6


def test_resume_with_ada_on_is_exact():
    config = {**TINY, "augment": "ada", "augment_p": 0.2, "ada_interval": 3, "ada_kimg": 0.01}  # sums pending at the stop
    report = check_model("gan:dcgan", config=config, checks=["resume-exact"])
    assert report.ok, report.summary()


def test_a_gan_logs_p_and_applies_the_augmentation_in_every_discriminator_pass(monkeypatch):
    model = DCGAN(DCGANConfig(**TINY, augment="ada", augment_p=0.5, r1_gamma=1.0, r1_every=1))
    seen = []
    forward = model.augment.forward
    monkeypatch.setattr(model.augment, "forward", lambda x: seen.append(len(x)) or forward(x))
    batch, scratch = {"x": torch.rand(4, 1, 28, 28) * 2 - 1}, {}
    phases = {p.name: p for p in model.training_phases()}
    _, logs = phases["d"].loss(batch, scratch)
    assert "augment/p" in logs and len(seen) == 2  # real and fake
    phases["r1"].loss(batch, scratch)
    phases["g"].loss(batch, scratch)
    assert len(seen) == 4


def test_unknown_augmentation_or_operation_is_one_clear_line():
    with pytest.raises(GensynthError, match="unknown augmentation 'flip'; use one of: none, ada, diffaugment"):
        DCGAN(DCGANConfig(**TINY, augment="flip"))
    with pytest.raises(GensynthError, match="augmentation ada has no operation 'blur'"):
        DCGAN(DCGANConfig(**TINY, augment="ada", augment_policy="blit,blur"))


class Invert(Augmentation):
    """A plugin's augmentation: flips the sign of every image, with probability ``p``."""

    def __init__(self, p: float | None = None) -> None:
        super().__init__()
        self.p = 1.0 if p is None else p

    def forward(self, images):
        return -images if self.p else images


def registry_with(target: str) -> Registry:
    """The installed plugins' registry and a plugin ``extra`` registering augmentation ``invert`` as ``target``."""
    manager = PluginManager()
    manager.load_entry_points()
    plugin = types.SimpleNamespace(register_augmentations=hookimpl(lambda register: register(
        AugmentationSpec(name="invert", summary="negative images", target=target))))
    manager.add_plugin(plugin, PluginRecord("extra", "(in process)", "", "tests", builtin=False))
    registry = Registry(manager)
    registry.collect()
    return registry


@pytest.fixture
def plugin_registry(monkeypatch):
    registry = registry_with("test_augmentations:Invert")
    monkeypatch.setattr(gensynth._discovery.registry, "_REGISTRY", registry)
    return registry


def test_a_target_that_is_no_augmentation_is_one_line_for_its_author():
    with pytest.raises(GensynthError, match="^augmentation extra:invert: target 'test_augmentations:TINY' is a "
                                            "dict, not a gensynth.Augmentation subclass; report this to the author "
                                            "of plugin 'extra'$"):
        build_augmentation("invert", registry=registry_with("test_augmentations:TINY"))


def test_a_plugin_registers_an_augmentation_that_every_gan_can_use(plugin_registry, tmp_path):
    augmentation = build_augmentation("invert", registry=plugin_registry, policy="", p=0.5, target=0.6)
    assert isinstance(augmentation, Invert) and augmentation.p == 0.5  # the options it names, the rest dropped
    assert plugin_registry.manager.record("extra").registered == {"augmentations": ["invert"]}
    api.train("dcgan", "digits@:64", tmp_path / "run", steps=2, batch_size=16, config={**TINY, "augment": "invert"})
    assert isinstance(api.load_run(tmp_path / "run").augment, Invert)
