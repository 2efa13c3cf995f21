"""The conformance kit (gensynth.testing): every built-in model passes it, and it catches what it should."""

from __future__ import annotations

import types

import pytest
import torch
from click.testing import CliRunner
from torch import nn

import gensynth._discovery.registry
from gensynth import ModelSpec, hookimpl
from gensynth.cli.main import cli
from gensynth._discovery.loader import PluginManager, PluginRecord
from gensynth.plugins.gan.config import DCGANConfig, MLPGANConfig
from gensynth.plugins.gan.dcgan import DCGAN
from gensynth.plugins.gan.mlp_gan import MLPGAN
from gensynth._discovery.registry import Registry, get_registry
from gensynth.testing import CHECKS, check_model, model_checks

TINY_POINTS = {"hidden": 16, "depth": 1}


def builtin_models() -> list[str]:
    registry = get_registry()
    return [spec.id for spec in registry.all("models") if registry.manager.record(spec.plugin).builtin]


@pytest.mark.parametrize("check", model_checks(*builtin_models()))
def test_builtin_models_conform(check):
    check.run()


# -- models that break the rules on purpose -------------------------------------------


class IdleParameterGAN(MLPGAN):
    """Has a layer that no optimizer updates."""

    def __init__(self, config):
        super().__init__(config)
        self.unused = nn.Linear(2, 2)


class NoGradientGAN(IdleParameterGAN):
    """The generator's optimizer updates a layer that no loss uses."""

    def configure_optimizers(self):
        optimizers = super().configure_optimizers()
        optimizers["g"].add_param_group({"params": list(self.unused.parameters())})
        return optimizers


class GlobalRNGGAN(MLPGAN):
    """Ignores the seed and draws from the global RNG."""

    @torch.no_grad()
    def sample(self, n, seed=None, **kwargs):
        return self.gen(torch.randn(n, self.config.latent_dim))


class LoudGAN(DCGAN):
    """Samples outside [-1, 1]."""

    @torch.no_grad()
    def sample(self, n, seed=None, **kwargs):
        return super().sample(n, seed) + 1.5


def points_spec(name: str, target: str, **extra) -> ModelSpec:
    return ModelSpec(name=name, family="gan", summary="broken on purpose", target=f"test_conformance:{target}",
                     config=MLPGANConfig, data="points", test_config=TINY_POINTS, **extra)


BROKEN = [
    points_spec("idle-parameter", "IdleParameterGAN"),
    points_spec("no-gradient", "NoGradientGAN"),
    points_spec("global-rng", "GlobalRNGGAN"),
    ModelSpec(name="loud", family="gan", summary="broken on purpose", target="test_conformance:LoudGAN",
              config=DCGANConfig, resolutions=(28,), channels=(1,), test_config={"g_width": 4, "d_width": 4}),
]


@pytest.fixture
def broken_models(monkeypatch):
    """The process registry, plus an in-process plugin 'broken' registering the models above."""
    manager = PluginManager()
    manager.load_entry_points()
    plugin = types.SimpleNamespace(register_models=hookimpl(lambda register: [register(s) for s in BROKEN]))
    manager.add_plugin(plugin, PluginRecord("broken", "(in process)", "", "tests", builtin=False))
    registry = Registry(manager)
    registry.collect()
    monkeypatch.setattr(gensynth._discovery.registry, "_REGISTRY", registry)
    return registry


def statuses(report) -> dict[str, tuple[str, str]]:
    return {r.check: (r.status, r.message) for r in report.results}


def test_parameters_without_optimizer_or_gradient_fail_train_step(broken_models):
    report = check_model("broken:idle-parameter", checks=["train-step", "sample-shape"])
    status, message = statuses(report)["train-step"]
    assert status == "failed" and "that no training phase's optimizer updates: unused.weight, unused.bias" in message
    assert statuses(report)["sample-shape"][0] == "passed"
    assert not report.ok and report.ran == 2
    status, message = statuses(check_model("broken:no-gradient", checks=["train-step"]))["train-step"]
    assert status == "failed" and "without a gradient after one step: unused.weight, unused.bias" in message


def test_sampling_from_the_global_rng_fails_sample_seeded(broken_models):
    status, message = statuses(check_model("broken:global-rng", checks=["sample-seeded"]))["sample-seeded"]
    assert status == "failed" and "gave different samples on two calls" in message


def test_samples_out_of_range_fail_sample_shape(broken_models):
    status, message = statuses(check_model("broken:loud", checks=["sample-shape"]))["sample-shape"]
    assert status == "failed" and "images must lie in [-1, 1]" in message


def test_known_failures_are_expected_and_strict_turns_a_pass_into_a_failure(broken_models):
    known = {"sample-seeded": "draws from the global RNG", "sample-shape": "not really broken"}
    report = check_model("broken:global-rng", checks=["sample-seeded", "sample-shape", "conditional"],
                         known_failures=known)
    assert {k: v[0] for k, v in statuses(report).items()} == {"sample-seeded": "xfail", "sample-shape": "xpass",
                                                               "conditional": "skipped"}
    assert report.ok and report.ran == 2
    assert report.summary() == ("broken:global-rng: 2 checks ran (0 passed, 1 expected failures, "
                                "1 known failures passed), 1 skipped")
    strict = check_model("broken:global-rng", checks=["sample-shape"], known_failures=known, strict=True)
    assert statuses(strict)["sample-shape"] == ("failed", "passed, but is declared a known failure "
                                                          "(not really broken); remove the declaration")


def test_checks_are_chosen_by_declared_capabilities():
    plain = ModelSpec(name="m", family="x", summary="s", target="a:b")
    translator = ModelSpec(name="t", family="x", summary="s", target="a:b", capabilities=("translate",))
    conditional = ModelSpec(name="c", family="x", summary="s", target="a:b",
                            capabilities=("conditional", "latent", "reconstruct"))

    def applicable(spec):
        return {c.name for c in CHECKS if c.not_applicable(spec) is None}

    common = {"metadata", "listing-imports-no-torch", "config-defaults", "config-roundtrip", "train-step",
              "save-load", "resume-exact"}
    assert applicable(plain) == common | {"sample-shape", "sample-seeded"}
    assert applicable(translator) == common | {"translate"}
    assert applicable(conditional) == common | {"sample-shape", "sample-seeded", "conditional", "latent", "reconstruct"}


def test_pytest_parameters_mark_skips_and_known_failures():
    params = {p.id: p for p in model_checks("gan:mlp-gan", known_failures={"resume-exact": "flaky"}, strict=True)}
    assert len(params) == len(CHECKS)
    assert [m.name for m in params["gan:mlp-gan-translate"].marks] == ["skip"]
    xfail = params["gan:mlp-gan-resume-exact"].marks[0]
    assert xfail.name == "xfail" and xfail.kwargs == {"reason": "flaky", "strict": True}
    assert not params["gan:mlp-gan-train-step"].marks


def test_check_command_reports_and_fails_clearly(broken_models):
    runner = CliRunner()
    ok = runner.invoke(cli, ["check", "mlp-gan", "--check", "metadata", "--check", "translate"], terminal_width=200)
    assert ok.exit_code == 0 and "gan:mlp-gan: 1 checks ran (1 passed), 1 skipped" in ok.output
    bad = runner.invoke(cli, ["check", "broken:global-rng", "--check", "sample-seeded"], terminal_width=200)
    assert bad.exit_code == 1
    assert bad.stderr.strip() == "Error: broken:global-rng failed 1 of 1 checks: sample-seeded"
    unknown = runner.invoke(cli, ["check", "mlp-gan", "--check", "nope"])
    assert unknown.exit_code == 1 and "unknown check 'nope'" in unknown.stderr
