"""The Python API behind the CLI: build, train, load, sample, translate and evaluate models.

>>> from gensynth import api
>>> run = api.train("dcgan", data="digits", out="runs/dcgan", steps=2000)
>>> images = api.load_run("runs/dcgan").sample(16, seed=0)
>>> report = api.evaluate("runs/dcgan", ["fid", "kid"], reference="digits")
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Iterable, Mapping

import torch

from gensynth._metadata.capabilities import TRANSLATE, require
from gensynth._metadata.config import ModelConfig, differing_fields
from gensynth._data.domains import DataSpecs, data_info, describe_specs, load_model_data, steps_per_epoch
from gensynth._data.loader import share_of
from gensynth._errors import GensynthError
from gensynth._evaluation.cache import file_sha256
from gensynth._evaluation.session import DEFAULT_EXTRACTOR, Evaluation, EvaluationReport
from gensynth._evaluation.training import training_evaluation
from gensynth._models.model import Model
from gensynth._discovery.registry import Registry, get_registry
from gensynth._training.rng import seed_everything
from gensynth._training.rundir import RunDir, load_weights, save_weights
from gensynth._training.runtime import Runtime, select_device
from gensynth._metadata.specs import ModelSpec
from gensynth._training.trainer import RunContext, Trainer, TrainOptions
from gensynth._models.translation import translate_images, translation_jobs
from gensynth._version import __version__


def model_spec(name: str, registry: Registry | None = None) -> ModelSpec:
    return (registry or get_registry()).resolve("models", name)


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Model config values from a JSON or TOML file (top-level keys are config fields)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise GensynthError(f"cannot read config file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise GensynthError(f"config file {path} is not UTF-8 text; give a JSON or TOML file") from None
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


def model_class(spec: ModelSpec) -> type[Model]:
    """The :class:`Model` subclass behind ``spec`` (imported now); a one-line GensynthError when it is none."""
    cls = spec.load()
    if not (isinstance(cls, type) and issubclass(cls, Model)):
        what = f"the class {cls.__name__}" if isinstance(cls, type) else f"a {type(cls).__name__}"
        raise spec.unusable(f"is {what}, not a subclass of gensynth.Model")
    return cls


def build_model(spec: ModelSpec, config: ModelConfig, seed: int | None = None) -> Model:
    """Instantiate the model class behind ``spec`` (importing it now)."""
    cls = model_class(spec)
    if seed is not None:
        seed_everything(seed)
    return cls(config)


def train(
    model: str,
    data: DataSpecs,
    out: str | Path,
    *,
    steps: int | None = None,
    epochs: int | None = None,
    config: Mapping[str, Any] = (),
    recipe: str | None = None,
    resume: bool = False,
    allow_world_size_change: bool = False,
    download: bool = False,
    hooks: Iterable[object] = (),
    progress: bool = False,
    **options: Any,
) -> RunContext:
    """Train ``model`` on ``data`` into the run directory ``out``.

    ``data`` is a data spec (``"digits"``), or ``{domain: spec}`` for a model that
    learns between domains (``{"a": "digits", "b": "mnist:PATH"}``).
    ``recipe`` names one of the model's recipes (default: its default recipe, or on
    resume the run's); ``config`` holds model config values laid over the recipe's;
    ``options`` are :class:`TrainOptions` fields, laid over the recipe's.
    With ``resume``, the run continues from its latest checkpoint; its recorded model
    config and data must match what is asked, and so must the number of processes unless
    ``allow_world_size_change`` (the run then continues, but not bit-exactly).

    Under torchrun every process calls this (see docs/distributed.md): rank 0 writes the run
    directory, and ``batch_size`` is the global batch, split evenly over the processes.
    """
    with Runtime.create(options.get("device", TrainOptions.device),
                        options.get("precision", TrainOptions.precision)) as runtime:
        return _train(runtime, model, data, out, steps=steps, epochs=epochs, config=config, recipe=recipe,
                      resume=resume, allow_world_size_change=allow_world_size_change, download=download,
                      hooks=hooks, progress=progress, **options)


def _train(runtime: Runtime, model: str, data: DataSpecs, out: str | Path, *, steps: int | None, epochs: int | None,
           config: Mapping[str, Any], recipe: str | None, resume: bool, allow_world_size_change: bool, download: bool,
           hooks: Iterable[object], progress: bool, **options: Any) -> RunContext:
    registry = get_registry()
    run = RunDir(out)
    spec = model_spec(model, registry)
    recorded = run.read_config() if resume and run.exists() else None
    if recorded is not None:
        trained_with = recorded.get("training", {}).get("recipe") or ""  # "": a run recorded without a recipe
        if recipe is not None and recipe != trained_with:
            raise GensynthError(f"cannot resume: the run was trained with recipe {trained_with or '(none)'!r}, "
                                f"not {recipe!r}; drop --recipe or start a new run with another --out")
        recipe = trained_with
        if "batch_size" not in options and "batch_size" in recorded.get("training", {}):
            options = {**options, "batch_size": recorded["training"]["batch_size"]}  # the run's, not the recipe's
    chosen = spec.recipe(recipe) if recipe != "" else None
    if chosen is not None:
        config = {**chosen.config, **dict(config)}
        options = {**chosen.training, **options}
    config_obj = make_config(spec, config)
    if recorded is not None:
        _check_same_run(recorded, spec, config_obj, data)
    elif run.latest_checkpoint():
        if resume:
            raise GensynthError(f"{run.path} has checkpoints but no config.json, so it cannot be resumed safely; "
                                "restore its config.json or choose another --out")
        raise GensynthError(f"{run.path} already holds a run; pass --resume to continue it or choose another --out")

    seed = int(options.get("seed", 0))
    net = build_model(spec, config_obj, seed=seed)
    dataset = load_model_data(data, net.data_request(), registry, download=download)
    net.bind_data(data_info(dataset))
    batch_size = int(options.get("batch_size", TrainOptions.batch_size))
    if (steps is None) == (epochs is None):
        raise GensynthError("give exactly one of --steps or --epochs")
    if steps is None:
        steps = int(epochs) * steps_per_epoch(dataset, batch_size)
    opts = TrainOptions(steps=int(steps), **options)
    opts.validate()
    share_of(opts.batch_size, runtime.world_size)
    evaluate = runtime.on_main(lambda: training_evaluation(net, spec, opts, data, registry)) if opts.eval_every else None
    # Built and checked before anything is written: a refused hook object or resume leaves the run directory as it was.
    trainer = Trainer(net, dataset, run.path, opts, model_id=spec.id, manager=registry.manager, hooks=hooks,
                      progress=progress, evaluate=evaluate, runtime=runtime)
    if resume:
        trainer.check_resume(runtime, allow_world_size_change)

    training = {**vars(opts), "recipe": chosen.name if chosen else ""}
    runtime.barrier()  # every process has read the run directory before rank 0 changes it
    runtime.on_main(lambda: _write_run_config(run, recorded if resume else None, spec, config_obj, training, data,
                                              dataset))
    runtime.barrier()
    return trainer.fit(resume=resume, allow_world_size_change=allow_world_size_change)


def _write_run_config(run: RunDir, recorded: dict[str, Any] | None, spec: ModelSpec, config: ModelConfig,
                      training: dict[str, Any], data: DataSpecs, dataset: Any) -> None:
    """``config.json`` of a new run, or the recorded one with this session's training options."""
    if recorded is None:
        run.path.mkdir(parents=True, exist_ok=True)
        recorded = {
            "gensynth_version": __version__,
            "torch_version": torch.__version__,
            "model": _model_record(spec, config),
            "training": training,
            "data": {"spec": _spec_record(data), "info": data_info(dataset)},
        }
    recorded["training"] = training
    run.write_config(recorded)


def _spec_record(data: DataSpecs) -> str | dict[str, str]:
    """How ``config.json`` records the data specs: the spec, or ``{domain: spec}``."""
    return data if isinstance(data, str) else dict(data)


def _check_same_run(recorded: dict[str, Any], spec: ModelSpec, config: ModelConfig, data: DataSpecs) -> None:
    model = recorded["model"]
    if model.get("id") != spec.id:
        raise GensynthError(f"cannot resume: the run trained {model.get('id')}, not {spec.id}")
    differing = differing_fields(model.get("config", {}), config.to_dict())
    if differing:
        raise GensynthError(
            f"cannot resume: model config differs from the run's in {', '.join(differing)}; "
            "drop those --set/--config values or start a new run with another --out"
        )
    trained_on = recorded.get("data", {}).get("spec")
    if trained_on != _spec_record(data):
        raise GensynthError(f"cannot resume: the run was trained on {describe_specs(trained_on)}, "
                            f"not {describe_specs(data)}")


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
    spec = model_spec(model_id)
    run.write_config({"gensynth_version": __version__, "model": _model_record(spec, model.config)})
    save_weights(model, run.weights_path, {"model_id": spec.id})


def _model_record(spec: ModelSpec, config: ModelConfig) -> dict[str, Any]:
    """The ``model`` entry of a run's ``config.json``."""
    return {"id": spec.id, "plugin": spec.plugin, "plugin_version": spec.version, "config": config.to_dict()}


def translate(run_dir: str | Path, inputs: Iterable[str | Path], out_dir: str | Path, *, direction: str | None = None,
              device: str | torch.device = "cpu", batch_size: int = 64, sheet: str | Path | None = None) -> list[Path]:
    """Translate image files and folders (recursively) with the model in ``run_dir``; one PNG per input
    image under ``out_dir`` (see :mod:`gensynth._models.translation`). Returns the written paths.

    ``direction`` may be left out for a model that translates one way (pix2pix); ``sheet`` names a PNG
    to write a contact sheet to (input | translated | reconstructed, the first 64 inputs)."""
    registry = get_registry()
    spec = model_spec(RunDir(run_dir).read_config()["model"]["id"], registry)
    require(spec, TRANSLATE, "gensynth translate", registry.list_models())
    jobs = translation_jobs(inputs)
    return translate_images(load_run(run_dir, device, registry), jobs, direction, out_dir, batch_size, sheet)


def evaluate(
    run_dir: str | Path,
    metrics: Iterable[str],
    *,
    reference: str | None = None,
    num_samples: int | None = None,
    seed: int = 0,
    extractor: str = DEFAULT_EXTRACTOR,
    extractor_weights: str | Path | None = None,
    extractor_options: Mapping[str, str] = (),
    classifier_data: str | None = None,
    params: Mapping[str, Mapping[str, Any]] = (),
    device: str = "auto",
    save: bool = True,
) -> EvaluationReport:
    """Measure ``metrics`` (ids or short names) of the model in ``run_dir`` against ``reference``.

    ``reference`` is a data spec (default: the run's ``--data``); ``params`` sets metric
    parameters (``{"kid": {"subset_size": 500}}``). With ``save``, the report is written to
    ``RUN_DIR/eval/<timestamp>.json`` (``report.path``).
    """
    registry = get_registry()
    run = RunDir(run_dir)
    recorded = run.read_config()
    reference = reference or recorded.get("data", {}).get("spec")
    if not isinstance(reference, str):
        raise GensynthError(f"{run.path} records no single data set to compare with; pass --reference SPEC")
    target = select_device(device)
    net = load_run(run.path, target, registry)
    spec = model_spec(recorded["model"]["id"], registry)
    evaluation = Evaluation(list(metrics), reference, net.data_request(), registry, device=target, params=dict(params),
                            num_samples=num_samples, seed=seed, extractor=extractor,
                            extractor_weights=extractor_weights, extractor_options=dict(extractor_options),
                            classifier_data=classifier_data)
    results = evaluation.run(net, spec)
    latest = run.latest_checkpoint()
    facts = {"dir": str(run.path), "model_id": spec.id, "step": latest[0] if latest else None,
             "weights_sha256": file_sha256(run.weights_path)}
    report = EvaluationReport(facts, results)
    if save:
        report.save(run.path / "eval")
    return report
