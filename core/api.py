"""The Python API behind the CLI: build, train, load and sample models.

>>> from gensynth import api
>>> run = api.train("dcgan", data="digits", out="runs/dcgan", steps=2000)
>>> images = api.load_run("runs/dcgan").sample(16, seed=0)
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Iterable, Mapping

import torch

from gensynth.config import ModelConfig, differing_fields
from gensynth.data.loader import BatchStream
from gensynth.data.spec import load_data
from gensynth.errors import GensynthError
from gensynth.model import Model
from gensynth.registry import Registry, get_registry
from gensynth.rng import seed_everything
from gensynth.rundir import RunDir, load_weights
from gensynth.specs import ModelSpec
from gensynth.trainer import RunContext, Trainer, TrainOptions
from gensynth.version import __version__


def model_spec(name: str, registry: Registry | None = None) -> ModelSpec:
    return (registry or get_registry()).resolve("models", name)


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Model config values from a JSON or TOML file (top-level keys are config fields)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise GensynthError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        if path.suffix == ".toml":
            values = tomllib.loads(text)
        else:
            import json

            values = json.loads(text)
    except ValueError as exc:
        raise GensynthError(f"config file {path} is not valid {path.suffix.lstrip('.').upper() or 'JSON'}: {exc}") from None
    if not isinstance(values, dict):
        raise GensynthError(f"config file {path} must hold a table/object of config fields")
    return values


def make_config(spec: ModelSpec, values: Mapping[str, Any] = ()) -> ModelConfig:
    return spec.config.from_dict(dict(values), model=spec.id)


def build_model(spec: ModelSpec, config: ModelConfig, seed: int | None = None) -> Model:
    """Instantiate the model class behind ``spec`` (importing it now)."""
    cls = spec.load()
    if not (isinstance(cls, type) and issubclass(cls, Model)):
        raise GensynthError(f"model {spec.id}: target {spec.target} is not a gensynth Model subclass")
    if seed is not None:
        seed_everything(seed)
    return cls(config)


def train(
    model: str,
    data: str,
    out: str | Path,
    *,
    steps: int | None = None,
    epochs: int | None = None,
    config: Mapping[str, Any] = (),
    resume: bool = False,
    download: bool = False,
    hooks: Iterable[object] = (),
    progress: bool = False,
    **options: Any,
) -> RunContext:
    """Train ``model`` on ``data`` into the run directory ``out``.

    ``config`` holds model config overrides; ``options`` are :class:`TrainOptions` fields.
    With ``resume``, the run continues from its latest checkpoint; its recorded model
    config and data must match what is asked.
    """
    registry = get_registry()
    run = RunDir(out)
    spec = model_spec(model, registry)
    config_obj = make_config(spec, config)
    if resume and run.exists():
        recorded = run.read_config()
        _check_same_run(recorded, spec, config_obj, data)
    elif run.exists() and run.latest_checkpoint():
        raise GensynthError(f"{run.path} already holds a run; pass --resume to continue it or choose another --out")

    seed = int(options.get("seed", 0))
    net = build_model(spec, config_obj, seed=seed)
    dataset = load_data(data, net.data_request(), registry, download=download)
    net.bind_data(dataset.info())
    batch_size = int(options.get("batch_size", TrainOptions.batch_size))
    if (steps is None) == (epochs is None):
        raise GensynthError("give exactly one of --steps or --epochs")
    if steps is None:
        steps = int(epochs) * BatchStream.steps_for(len(dataset), batch_size)
    opts = TrainOptions(steps=int(steps), **options)
    opts.validate()

    if not (resume and run.exists()):
        run.path.mkdir(parents=True, exist_ok=True)
        run.write_config({
            "gensynth_version": __version__,
            "torch_version": torch.__version__,
            "model": {"id": spec.id, "plugin": spec.plugin, "plugin_version": spec.version, "config": config_obj.to_dict()},
            "training": {**vars(opts)},
            "data": {"spec": data, "info": dataset.info()},
        })
    else:
        recorded = run.read_config()
        recorded["training"] = {**vars(opts)}
        run.write_config(recorded)
    trainer = Trainer(net, dataset, run.path, opts, model_id=spec.id, manager=registry.manager, hooks=hooks, progress=progress)
    return trainer.fit(resume=resume)


def _check_same_run(recorded: dict[str, Any], spec: ModelSpec, config: ModelConfig, data: str) -> None:
    model = recorded["model"]
    if model.get("id") != spec.id:
        raise GensynthError(f"cannot resume: the run trained {model.get('id')}, not {spec.id}")
    differing = differing_fields(model.get("config", {}), config.to_dict())
    if differing:
        raise GensynthError(
            f"cannot resume: model config differs from the run's in {', '.join(differing)}; "
            "drop those --set/--config values or start a new run with another --out"
        )
    if recorded.get("data", {}).get("spec") != data:
        raise GensynthError(f"cannot resume: the run was trained on --data {recorded['data'].get('spec')}, not {data}")


def load_run(run_dir: str | Path, device: str | torch.device = "cpu", registry: Registry | None = None) -> Model:
    """The model saved in a run directory, in eval mode, with its latest weights."""
    run = RunDir(run_dir)
    recorded = run.read_config()
    spec = model_spec(recorded["model"]["id"], registry)
    config = make_config(spec, recorded["model"].get("config", {}))
    net = build_model(spec, config)
    if recorded.get("data", {}).get("info"):
        net.bind_data(recorded["data"]["info"])
    try:
        net.load_state_dict(load_weights(run.weights_path))
    except RuntimeError as exc:
        raise GensynthError(f"weights in {run.weights_path} do not fit model {spec.id}: {str(exc).splitlines()[0]}") from None
    return net.to(device).eval()


def save_pretrained(model: Model, folder: str | Path, model_id: str) -> None:
    """A folder with ``config.json`` and ``model.safetensors``, loadable with :func:`load_run`."""
    run = RunDir(folder)
    run.path.mkdir(parents=True, exist_ok=True)
    from gensynth.rundir import save_weights

    spec = model_spec(model_id)
    run.write_config({"gensynth_version": __version__,
                      "model": {"id": spec.id, "plugin": spec.plugin, "plugin_version": spec.version, "config": model.config.to_dict()}})
    save_weights(model, run.weights_path, {"model_id": spec.id})
