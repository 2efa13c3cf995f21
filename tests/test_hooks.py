"""Hooks through pluggy: forward compatibility, per-plugin isolation, per-run hook objects, when each
lifecycle hook fires, and the Model's per-optimizer-step action."""

from __future__ import annotations

import dataclasses
import types

import pytest
import torch
from torch import nn

from gensynth import GensynthError, Model, ModelConfig, ModelSpec, Phase, TensorData, api, field, hookimpl
from gensynth._discovery.loader import PluginManager, PluginRecord
from gensynth._discovery.registry import Registry
from gensynth._errors import PluginError
from gensynth._training.trainer import Trainer, TrainOptions


@dataclasses.dataclass
class LineConfig(ModelConfig):
    lr: float = field(0.05, help="SGD learning rate", gt=0)


class Line(Model):
    """Two phases on two optimizers, ``b`` on odd steps only, recording its per-optimizer-step calls."""

    def __init__(self, config: LineConfig) -> None:
        super().__init__(config)
        self.a, self.b = nn.Linear(2, 2), nn.Linear(2, 2)
        self.updates: list[tuple[str, int, bool]] = []

    def configure_optimizers(self):
        return {"a": torch.optim.SGD(self.a.parameters(), self.config.lr),
                "b": torch.optim.SGD(self.b.parameters(), self.config.lr)}

    def training_phases(self):
        return [Phase("a", "a", lambda batch, scratch: (self.a(batch["x"]).pow(2).mean(), {"a/norm": self.a.weight.norm().detach()})),
                Phase("b", "b", lambda batch, scratch: (self.b(batch["x"]).pow(2).mean(), {}), every=2, offset=1)]

    def after_optimizer_step(self, phase, step):
        self.updates.append((phase, step, torch.is_grad_enabled()))

    @torch.no_grad()
    def sample(self, n, seed=None, **kwargs):
        return self.a(torch.randn(n, 2, generator=self.seeded_generator(seed)))


def points(n: int = 64) -> TensorData:
    return TensorData(torch.randn(n, 2, generator=torch.Generator().manual_seed(0)), source="test points")


def train(tmp_path, hooks=(), manager=None, steps=10, **options) -> Line:
    model = Line(LineConfig())
    opts = TrainOptions(steps=steps, batch_size=16, log_every=3, sample_every=100, checkpoint_every=100, device="cpu",
                        **options)
    Trainer(model, points(), tmp_path / "run", opts, manager=manager, hooks=hooks, progress=False).fit()
    return model


class OldStyle:
    """Implementations declaring fewer arguments than their hooks (as plugins written for an older API would)."""

    def __init__(self):
        self.calls = []

    @hookimpl
    def on_step_end(self, step):
        self.calls.append(("step", step))

    @hookimpl
    def on_epoch_end(self, epoch, step):
        self.calls.append(("epoch", epoch, step))

    @hookimpl
    def on_log(self, metrics, step):  # any subset, in any order
        self.calls.append(("log", step, sorted(metrics)))

    @hookimpl
    def on_checkpoint_saved(self, step):
        self.calls.append(("checkpoint", step))

    @hookimpl
    def on_run_end(self, run):  # no `status`
        self.calls.append(("end", run.step))


def test_lifecycle_hooks_fire_as_documented_and_take_fewer_arguments(tmp_path):
    hook = OldStyle()
    model = train(tmp_path, hooks=[hook])
    steps = [c[1] for c in hook.calls if c[0] == "step"]
    assert steps == list(range(1, 11))  # on_step_end: every iteration
    assert [c for c in hook.calls if c[0] == "epoch"] == [("epoch", 1, 4), ("epoch", 2, 8)]  # 64 points / batch 16
    logs = [c for c in hook.calls if c[0] == "log"]
    assert [c[1] for c in logs] == [3, 6, 9, 10]  # every log_every steps and the last
    assert logs[0][2] == ["a/norm", "loss/a", "loss/b", "lr/a", "lr/b"]  # TensorBoard's names
    assert hook.calls[-2:] == [("checkpoint", 10), ("end", 10)]
    at_4 = hook.calls.index(("step", 4))
    assert hook.calls[at_4 + 1] == ("epoch", 1, 4)  # on_step_end, then on_epoch_end, in one iteration
    # after_optimizer_step: after each active phase's update, in phase order, without autograd
    assert model.updates[:5] == [("a", 1, False), ("b", 1, False), ("a", 2, False), ("a", 3, False), ("b", 3, False)]
    assert len(model.updates) == 10 + 5


class Boom:
    @hookimpl
    def on_step_end(self, step):
        raise RuntimeError(f"boom at {step}")


def plugin_manager(*plugins: tuple[str, object]) -> PluginManager:
    manager = PluginManager()
    for name, plugin in plugins:
        manager.add_plugin(plugin, PluginRecord(name, f"gensynth-{name}", "1.0", name, builtin=False))
    return manager


def test_a_failing_hook_breaks_only_itself_and_strict_mode_raises(tmp_path, capsys, monkeypatch):
    after_plugin, after_object = OldStyle(), OldStyle()
    manager = plugin_manager(("first", Boom()), ("second", after_plugin))
    train(tmp_path / "a", hooks=[Boom(), after_object], manager=manager, steps=4)
    assert after_plugin.calls[:2] == [("step", 1), ("step", 2)]  # called although the plugin before it raised
    assert after_object.calls == after_plugin.calls
    warnings = capsys.readouterr().err.splitlines()
    assert warnings == [  # once per run each, not at every step
        "warning: hook on_step_end of plugin 'first' failed (shown once per run): RuntimeError: boom at 1 "
        "(gensynth uninstall gensynth-first  or  gensynth plugins disable first)",
        "warning: hook on_step_end of hook object Boom failed (shown once per run): RuntimeError: boom at 1",
    ]
    monkeypatch.setenv("GENSYNTH_STRICT", "1")
    with pytest.raises(PluginError, match=r"^hook on_step_end of plugin 'first' failed: RuntimeError: boom at 1 \("):
        train(tmp_path / "b", manager=manager, steps=2)


def test_run_hook_objects_belong_to_the_run(tmp_path):
    """They are never registered with the (process-wide) plugin manager the run is given."""
    manager = plugin_manager()
    seen = []

    class Spy:
        @hookimpl
        def on_run_start(self, run):
            seen.append(manager.pm.get_plugins())

    train(tmp_path, hooks=[Spy()], manager=manager, steps=1)
    assert seen == [set()] and manager.pm.get_plugins() == set()


def test_hook_objects_that_are_no_hooks_are_refused_in_one_line(tmp_path):
    class Typo:
        @hookimpl
        def on_step_ned(self, step):
            pass

    class TooMany:
        @hookimpl
        def on_step_end(self, step, metrics):
            pass

    with pytest.raises(GensynthError, match=r"^hook object Typo implements 'on_step_ned', which is no gensynth hook; "
                                            r"the hooks are on_checkpoint_saved, on_epoch_end, on_evaluation_done"):
        train(tmp_path, hooks=[Typo()])
    with pytest.raises(GensynthError, match=r"^hook object TooMany: hook 'on_step_end' implemented as "
                                            r"on_step_end\(step, metrics\) asks for \{'metrics'\}, which the hook "
                                            r"does not pass \(it passes run, step\)") as error:
        train(tmp_path, hooks=[TooMany()])
    assert "\n" not in str(error.value)
    with pytest.raises(GensynthError, match="hook object Typo implements 'on_step_ned'"):
        api.train("mlp-gan", "ring8", tmp_path / "refused", steps=1, hooks=[Typo()], device="cpu")
    assert not (tmp_path / "refused").exists()  # a refused command changes nothing on disk


def test_registration_hooks_go_through_pluggy_one_plugin_at_a_time():
    calls = []
    spec = ModelSpec(name="line", family="test", summary="a line", target="test_hooks:Line", config=LineConfig,
                     data="points")
    older = types.SimpleNamespace(register_models=hookimpl(lambda register: register(spec)),
                                  register_datasets=hookimpl(lambda: calls.append("called without register")))
    raising = types.SimpleNamespace(register_models=hookimpl(lambda register: 1 / 0))
    manager = plugin_manager(("older", older), ("raising", raising))
    announced = []
    manager.on_plugin_code = lambda record: announced.append(record.name)
    registry = Registry(manager)
    registry.collect()
    assert calls == ["called without register"]
    assert registry.resolve("models", "older:line") is spec
    assert manager.record("raising").status_text == "error: ZeroDivisionError: division by zero"
    assert announced == ["older", "raising"]  # in load order, each before its code runs
