"""The checks of the conformance kit, each selected by the model's declared capabilities.

A check is a function of a :class:`~gensynth.testing.subject.Subject` that raises
:class:`CheckFailed` (or any exception) when the model does not conform. What each
check asks of a model is written in its docstring and in ``docs/plugins.md``.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
from typing import Any, Callable

import torch

from gensynth import api
from gensynth._metadata.capabilities import CONDITIONAL, LATENT, RECONSTRUCT, TRANSLATE, TRUNCATION
from gensynth._metadata.request import DataRequest
from gensynth._errors import GensynthError, TrainingInterrupted
from gensynth._training.rundir import RunDir, load_weights
from gensynth._metadata.specs import ModelSpec
from gensynth.testing.subject import SAMPLES, InterruptAt, Subject


class CheckFailed(AssertionError):
    """A model does not conform; the message says what is wrong."""


def expect(condition: Any, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


@dataclasses.dataclass(frozen=True)
class Check:
    """A named check; ``needs``/``unless`` select it by capability."""

    name: str
    run: Callable[[Subject], None]
    needs: str | None = None
    unless: str | None = None

    def not_applicable(self, spec: ModelSpec) -> str | None:
        """Why this check does not apply to ``spec``, or None."""
        if self.needs and self.needs not in spec.capabilities:
            return f"the model does not declare capability {self.needs!r}"
        if self.unless and self.unless in spec.capabilities:
            return f"not for models with capability {self.unless!r}"
        return None


# -- helpers --------------------------------------------------------------------


def _few(names: list[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _check_tensor(what: str, out: Any, shape: tuple[int, ...], images: bool) -> None:
    expect(isinstance(out, torch.Tensor), f"{what} returned {type(out).__name__}, not a tensor")
    expect(out.dtype == torch.float32, f"{what} returned dtype {out.dtype}, expected torch.float32")
    expect(tuple(out.shape) == shape, f"{what} returned shape {tuple(out.shape)}, expected {shape}")
    expect(torch.isfinite(out).all(), f"{what} returned NaN or infinite values")
    if images:
        low, high = float(out.min()), float(out.max())
        expect(-1 <= low and high <= 1, f"{what} returned values in [{low:.3g}, {high:.3g}]; images must lie in [-1, 1]")


def _sample_shape(subject: Subject) -> tuple[int, ...]:
    expect(subject.domains is None, "the model asks for data domains; sampling checks need a single data set")
    return (SAMPLES, *subject.data.shape)


def _same_state(a: Any, b: Any, path: str = "") -> str | None:
    """Where two nested states (dicts, lists, tensors, values) differ, or None."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        same = isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape and torch.equal(a, b)
        return None if same else path or "/"
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return f"{path}/ (keys {sorted(map(str, set(a) ^ set(b)))})"
        return next((d for k in a if (d := _same_state(a[k], b[k], f"{path}/{k}"))), None)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return f"{path} (lengths {len(a)} and {len(b)})"
        return next((d for i, (x, y) in enumerate(zip(a, b)) if (d := _same_state(x, y, f"{path}/{i}"))), None)
    return None if a == b else path or "/"


# -- the checks -------------------------------------------------------------------


LISTING_PROBE = """
import json, sys
from gensynth._discovery.registry import get_registry
spec = get_registry().resolve("models", {model!r})
json.dumps(spec.to_json())
module = spec.target.partition(":")[0]
print(json.dumps(sorted(m for m in sys.modules
                        if m in ("torch", "torchvision", module) or m.startswith(("torch.", "torchvision.")))))
"""


def metadata(subject: Subject) -> None:
    """The metadata is complete and valid, and its test_config fits its config."""
    spec = subject.spec
    spec.validate()
    expect(spec.summary.strip(), "the model's summary is empty")
    expect(spec.family.strip(), "the model's family is empty")
    json.dumps(spec.to_json())
    undocumented = [f.name for f in spec.config.fields_info() if not f.help]
    expect(not undocumented, f"config fields without help text: {_few(undocumented)}")
    if spec.data == "image":
        expect(spec.resolutions and spec.channels, "an image model must declare its resolutions and channels")
    try:
        spec.config.from_dict(spec.test_config, model=spec.id)
    except GensynthError as exc:
        raise CheckFailed(f"test_config does not fit the config: {exc}") from None


def listing_imports_no_torch(subject: Subject) -> None:
    """Listing the model in a fresh interpreter imports neither torch nor the model's module."""
    done = subprocess.run([sys.executable, "-c", LISTING_PROBE.format(model=subject.id)],
                          capture_output=True, text=True, timeout=120)
    last = (done.stderr.strip().splitlines() or ["no output"])[-1]
    expect(done.returncode == 0, f"a fresh interpreter could not list {subject.id} (is its plugin installed?): {last}")
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    expect(not loaded, f"listing imported {_few(loaded)}: keep the plugin module and config torch-free and "
                       "put model code behind the lazy target")


def config_defaults(subject: Subject) -> None:
    """The config's defaults construct the model, and it asks for the data its metadata declares."""
    request = subject.build(subject.spec.config()).data_request()
    requests = list(request.values()) if isinstance(request, dict) else [request]
    expect(requests and all(isinstance(r, DataRequest) for r in requests),
           f"data_request() returned {type(request).__name__}, not a DataRequest or {{domain: DataRequest}}")
    kinds = {r.kind for r in requests}
    expect(kinds == {subject.spec.data}, f"data_request() asks for {', '.join(sorted(kinds))} data but the "
                                         f"metadata declares data={subject.spec.data!r}")


def config_roundtrip(subject: Subject) -> None:
    """Configs survive a JSON round trip (defaults and the test config)."""
    for config in (subject.spec.config(), subject.config()):
        text = json.dumps(config.to_dict())
        again = subject.spec.config.from_dict(json.loads(text), model=subject.id)
        expect(again == config, f"config {text} came back from JSON as {json.dumps(again.to_dict())}")


def sample_shape(subject: Subject) -> None:
    """sample(n, seed) returns float32 samples of the data's shape, finite, images in [-1, 1]."""
    model = subject.build().eval()
    with torch.no_grad():
        out = model.sample(SAMPLES, seed=0)
    _check_tensor(f"sample({SAMPLES}, seed=0)", out, _sample_shape(subject), subject.spec.data == "image")


def sample_seeded(subject: Subject) -> None:
    """The same seed gives the same samples, another seed others, and the global RNG is untouched."""
    model = subject.build().eval()
    before = torch.get_rng_state()
    with torch.no_grad():
        first, again, other = (model.sample(SAMPLES, seed=s) for s in (1, 1, 2))
    expect(torch.equal(first, again), "sample(n, seed=1) gave different samples on two calls")
    expect(not torch.equal(first, other), "sample(n, seed=1) and sample(n, seed=2) gave the same samples")
    expect(torch.equal(before, torch.get_rng_state()),
           "sample(n, seed) changed the global torch RNG; draw from self.seeded_generator(seed) instead")


def train_step(subject: Subject) -> None:
    """One training iteration gives finite losses and a gradient to every trainable parameter."""
    _, probe = subject.one_step
    expect(probe.metrics, "the training run logged no losses")
    bad = [k for k, v in probe.metrics.items() if not torch.isfinite(torch.tensor(v))]
    expect(not bad, f"non-finite logged values after one step: {_few(bad)}")
    model = subject.build()
    optimizers = model.configure_optimizers()
    names = {id(p): name for name, p in model.named_parameters()}
    phases = model.training_phases()

    def updated_by(selected) -> set[str]:
        return {names.get(id(p), "") for phase in selected for group in optimizers[phase.optimizer].param_groups
                for p in group["params"]}

    idle = [name for name, p in model.named_parameters() if p.requires_grad and name not in updated_by(phases)]
    expect(not idle, f"trainable parameters that no training phase's optimizer updates: {_few(idle)}")
    first_step = updated_by([phase for phase in phases if phase.active(1, 1)])
    without_grad = [name for name in probe.without_grad if name in first_step]
    expect(not without_grad, f"trainable parameters without a gradient after one step: {_few(without_grad)}")
    expect(not probe.non_finite_grad, f"parameters with NaN or infinite gradients: {_few(probe.non_finite_grad)}")


def save_load(subject: Subject) -> None:
    """Weights saved with safetensors and loaded into a new model give identical weights and outputs."""
    run_dir, probe = subject.one_step
    trained = probe.model
    expect(trained is not None, "the training run did not finish")
    loaded = api.load_run(run_dir, "cpu", subject.registry)
    where = _same_state(dict(trained.state_dict()), load_weights(RunDir(run_dir).weights_path))
    expect(where is None, f"saved weights differ from the trained model's at {where}")
    where = _same_state(subject.outputs(trained), subject.outputs(loaded))
    expect(where is None, f"the loaded model's outputs differ from the trained model's ({where})")


def resume_exact(subject: Subject) -> None:
    """4 steps equal 4 steps interrupted with Ctrl-C after step 2 and resumed, bit for bit on CPU."""
    expect(threading.current_thread() is threading.main_thread(),
           "run this check in the main thread: the interrupted run is stopped with SIGINT, as Ctrl-C stops it")
    once = RunDir(subject.train("once", 4))
    try:
        subject.train("split", 4, hooks=(InterruptAt(2),))
    except TrainingInterrupted:
        pass
    else:
        raise CheckFailed("Ctrl-C at step 2 did not interrupt the run")
    split = RunDir(subject.train("split", 4, resume=True))
    where = _same_state(load_weights(once.weights_path), load_weights(split.weights_path))
    expect(where is None, f"the resumed run's weights differ at {where}")
    (_, a), (_, b) = once.latest_checkpoint(), split.latest_checkpoint()
    where = _same_state(once.load_checkpoint(a)[1], split.load_checkpoint(b)[1])
    expect(where is None, f"the resumed training state (optimizers, RNG, model state) differs at {where}")


def conditional(subject: Subject) -> None:
    """sample(n, seed, labels=...) follows the labels: same labels, same samples; other labels, others."""
    model = subject.build().eval()
    expect(getattr(model.data_request(), "labels", False), "the model declares 'conditional' but, with this config, "
                                                           "its data_request() asks for no labels; make it conditional "
                                                           "in test_config")
    expect(isinstance(getattr(model, "num_classes", None), int) and model.num_classes >= 2,
           "a conditional model has an int attribute num_classes (at least 2), learned in bind_data(info)")
    shape = _sample_shape(subject)
    zeros = torch.zeros(SAMPLES, dtype=torch.int64)
    with torch.no_grad():
        first, again, other = (model.sample(SAMPLES, seed=0, labels=y) for y in (zeros, zeros, zeros + 1))
    _check_tensor("sample(n, seed=0, labels=...)", first, shape, subject.spec.data == "image")
    expect(torch.equal(first, again), "the same seed and labels gave different samples")
    expect(not torch.equal(first, other), "labels 0 and labels 1 gave the same samples: the labels are ignored")


def latent(subject: Subject) -> None:
    """sample_latents(n, seed) is seeded, and decode_latents of those codes is sample(n, seed)."""
    model = subject.build().eval()
    labels = {"labels": torch.zeros(SAMPLES, dtype=torch.int64)} if CONDITIONAL in subject.spec.capabilities else {}
    with torch.no_grad():
        z, again = model.sample_latents(SAMPLES, seed=0), model.sample_latents(SAMPLES, seed=0)
        expect(isinstance(z, torch.Tensor) and z.shape[0] == SAMPLES,
               f"sample_latents({SAMPLES}, seed=0) must return a tensor of {SAMPLES} codes")
        expect(torch.equal(z, again), "sample_latents(n, seed=0) gave different codes on two calls")
        decoded, sampled = model.decode_latents(z, **labels), model.sample(SAMPLES, seed=0, **labels)
    _check_tensor("decode_latents(z)", decoded, _sample_shape(subject), subject.spec.data == "image")
    expect(torch.equal(decoded, sampled), "decode_latents(sample_latents(n, seed)) differs from sample(n, seed)")


def truncation(subject: Subject) -> None:
    """sample_latents(n, seed, truncation=psi) is mean + psi * (z - mean): the prior's codes at 1, one code
    (the mean latent) at 0; sample(n, seed, truncation=psi) decodes those codes; psi outside [0, 1] is refused."""
    expect(LATENT in subject.spec.capabilities, "the 'truncation' capability needs the 'latent' one too")
    model = subject.build().eval()
    labels = {"labels": torch.zeros(SAMPLES, dtype=torch.int64)} if CONDITIONAL in subject.spec.capabilities else {}
    with torch.no_grad():
        z = model.sample_latents(SAMPLES, seed=0)
        expect(torch.equal(model.sample_latents(SAMPLES, seed=0, truncation=1.0), z),
               "sample_latents(n, seed, truncation=1) differs from sample_latents(n, seed)")
        mean = model.sample_latents(SAMPLES, seed=0, truncation=0.0)
        expect(torch.equal(mean, mean[:1].expand_as(mean)), "truncation=0 must give every sample the same code")
        half = model.sample_latents(SAMPLES, seed=0, truncation=0.5)
        expect(torch.allclose(half, mean + 0.5 * (z - mean), atol=1e-6),
               "sample_latents(n, seed, truncation=0.5) is not halfway between the codes and the mean latent")
        decoded, sampled = model.decode_latents(half, **labels), model.sample(SAMPLES, seed=0, truncation=0.5, **labels)
    expect(torch.equal(decoded, sampled), "sample(n, seed, truncation=psi) differs from decoding "
                                          "sample_latents(n, seed, truncation=psi)")
    for psi in (1.5, -0.1, float("nan")):
        try:
            model.sample_latents(SAMPLES, seed=0, truncation=psi)
        except GensynthError:
            continue
        expect(False, f"sample_latents(n, seed, truncation={psi}) must raise a GensynthError: psi lies in [0, 1] "
                      f"(call gensynth.check_truncation(psi))")


def translate(subject: Subject) -> None:
    """translate(x, direction) maps a batch of the source domain to images of the target's shape, each direction."""
    model = subject.build().eval()
    directions = getattr(model, "directions", None)
    expect(directions, "a translating model lists its directions in a `directions` attribute, e.g. ('a2b', 'b2a')")
    batch = subject.batch()
    for direction in directions:
        source, _, target = direction.partition("2")
        expect(subject.domains and {source, target} <= set(subject.domains),
               f"direction {direction!r} must be <source>2<target> with domains of data_request() "
               f"({', '.join(subject.domains or [])})")
        with torch.no_grad():
            out = model.translate(batch[source]["x"], direction)
        _check_tensor(f"translate(x, {direction!r})", out, (SAMPLES, *subject.data[target].shape), True)


def reconstruct(subject: Subject) -> None:
    """reconstruct(x) returns a batch of the input's shape, finite, images in [-1, 1]."""
    expect(subject.domains is None, "reconstruction checks need a single data set")
    model = subject.build().eval()
    x = subject.batch()["x"]
    with torch.no_grad():
        out = model.reconstruct(x)
    _check_tensor("reconstruct(x)", out, tuple(x.shape), subject.spec.data == "image")


CHECKS: tuple[Check, ...] = (
    Check("metadata", metadata),
    Check("listing-imports-no-torch", listing_imports_no_torch),
    Check("config-defaults", config_defaults),
    Check("config-roundtrip", config_roundtrip),
    Check("sample-shape", sample_shape, unless=TRANSLATE),
    Check("sample-seeded", sample_seeded, unless=TRANSLATE),
    Check("train-step", train_step),
    Check("save-load", save_load),
    Check("resume-exact", resume_exact),
    Check("conditional", conditional, needs=CONDITIONAL),
    Check("latent", latent, needs=LATENT),
    Check("truncation", truncation, needs=TRUNCATION),
    Check("translate", translate, needs=TRANSLATE),
    Check("reconstruct", reconstruct, needs=RECONSTRUCT),
)
