"""The Python API behind the CLI: build, train, load, sample, translate and evaluate models.

>>> from gensynth import api
>>> run = api.train("dcgan", data="digits", out="runs/dcgan", steps=2000)
>>> images = api.load_run("runs/dcgan").sample(16, seed=0)
>>> report = api.evaluate("runs/dcgan", ["fid", "kid"], reference="digits")
>>> api.runs("runs"), api.report(["runs/dcgan"], "runs/report.html")
"""

from __future__ import annotations

import contextlib
import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from gensynth._data.spec import DataSpecs, check_data_specs, check_spec, describe_specs
from gensynth._discovery.registry import Registry, get_registry
from gensynth._errors import GensynthError
from gensynth._metadata.config import ModelConfig, differing_fields
from gensynth._metadata.seeds import check_seed
from gensynth._training.catalog import RunSummary, find_runs
from gensynth._training.threads import ENV as THREADS_ENV, use_threads
from gensynth._metadata.specs import ModelSpec
from gensynth._naming import option
from gensynth._training.lock import RunLock
from gensynth._training.options import TrainOptions, check_options
from gensynth._training.processes import refused_together, writes_run_dir
from gensynth._training.rundir import RunDir
from gensynth._version import __version__

if TYPE_CHECKING:  # the torch side loads when a function needs it, after the checks that need no torch
    import torch

    from gensynth._evaluation.session import EvaluationReport
    from gensynth._evaluation.training import TrainingEvaluation
    from gensynth._models.model import Model
    from gensynth._training.progress import Progress
    from gensynth._training.trainer import RunContext

_CONFIG_SUFFIXES = {".json": "JSON", ".toml": "TOML"}
#: Where a run goes when no ``out`` is given: ``runs/<model>-<n>``.
DEFAULT_RUNS = Path("runs")


def model_spec(name: str, registry: Registry | None = None) -> ModelSpec:
    return (registry or get_registry()).resolve("models", name)


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Model config values from a JSON or TOML file (top-level keys are config fields)."""
    import json

    path = Path(path)
    kind = _CONFIG_SUFFIXES.get(path.suffix.lower())
    if kind is None and path.suffix:
        raise GensynthError(f"config file {path}: {path.suffix} files are not read; give a JSON (.json) or TOML "
                            f"(.toml) file")
    try:
        text = path.read_text()
    except OSError as exc:
        raise GensynthError(f"cannot read config file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise GensynthError(f"config file {path} is not UTF-8 text; give a JSON or TOML file") from None
    try:
        values = tomllib.loads(text) if kind == "TOML" else json.loads(text)
    except ValueError as exc:
        raise GensynthError(f"config file {path} is not valid {kind or 'JSON'}: {exc}") from None
    if not isinstance(values, dict):
        raise GensynthError(f"config file {path} must hold a table/object of config fields")
    return values


def make_config(spec: ModelSpec, values: Mapping[str, Any] | None = None) -> ModelConfig:
    """The config of ``spec`` from ``values`` (default: the fields' defaults), checked."""
    values = {} if values is None else values
    if not isinstance(values, Mapping):
        raise GensynthError(f"{option('config')} must map config fields to values, got {values!r}")
    return spec.config.from_dict(dict(values), model=spec.id)


def model_class(spec: ModelSpec) -> type[Model]:
    """The :class:`Model` subclass behind ``spec`` (imported now); a one-line GensynthError when it is none."""
    from gensynth._models.model import Model

    return spec.load_subclass(Model)


def build_model(spec: ModelSpec | str, config: ModelConfig | Mapping[str, Any] | None = None,
                seed: int | None = None) -> Model:
    """Instantiate the model class behind ``spec`` (importing it now) with ``config`` (a config or its values;
    default: the config's defaults)."""
    from gensynth._training.rng import seed_everything

    spec = model_spec(spec) if isinstance(spec, str) else spec
    if not isinstance(config, spec.config):
        config = make_config(spec, config if config is None or isinstance(config, Mapping)
                             else _not_a_config(spec, config))
    cls = model_class(spec)
    if seed is not None:
        seed_everything(check_seed(seed))
    try:
        return cls(config)
    except MemoryError:
        raise GensynthError(f"not enough memory to build {spec.id} with this config; use smaller widths") from None
    except RuntimeError as exc:
        if "alloc" not in str(exc).lower():
            raise
        raise GensynthError(f"not enough memory to build {spec.id} with this config ({str(exc).splitlines()[0]}); "
                            f"use smaller widths") from None


def _not_a_config(spec: ModelSpec, config: object) -> Mapping[str, Any]:
    raise GensynthError(f"config of {spec.id} must be a {spec.config.__name__} or a mapping of its fields, "
                        f"got {type(config).__name__}")


def train(
    model: str,
    data: DataSpecs,
    out: str | Path | None = None,
    *,
    steps: int | None = None,
    epochs: int | None = None,
    config: Mapping[str, Any] | None = None,
    recipe: str | None = None,
    resume: bool = False,
    extend: bool = False,
    allow_world_size_change: bool = False,
    download: bool = False,
    hooks: Iterable[object] = (),
    progress: bool | str | Progress = "auto",
    threads: int | None = None,
    **options: Any,
) -> RunContext:
    """Train ``model`` on ``data`` into the run directory ``out`` (default: a new ``runs/<model>-<n>``).

    ``data`` is a data spec (``"digits"``), or ``{domain: spec}`` for a model that
    learns between domains (``{"a": "digits", "b": "mnist:PATH"}``).
    ``recipe`` names one of the model's recipes (default: its default recipe, or on
    resume the run's); ``config`` holds model config values laid over the recipe's;
    ``options`` are :class:`~gensynth._training.options.TrainOptions` fields, laid over the recipe's.
    With ``resume``, the run continues from its latest checkpoint; its recorded model
    config, data, batch size and seed must match what is asked (batch size and seed
    default to the run's), and so must the number of processes unless
    ``allow_world_size_change`` (the run then continues, but not bit-exactly); it trains
    no further than its schedules were planned for unless ``extend`` re-plans them over
    ``steps``.
    ``threads`` sets torch's CPU threads (default: ``$GENSYNTH_THREADS``, else the idle
    cores, see :mod:`gensynth._training.threads`). ``progress`` chooses what is printed to
    stderr: ``"auto"`` (a bar on a terminal or in a notebook, plain lines elsewhere), ``"bar"``,
    ``"lines"`` or ``"none"`` (see :mod:`gensynth._training.progress`); where the run writes
    is printed before it starts.

    Under torchrun every process calls this (see docs/distributed.md): rank 0 alone chooses,
    locks and writes the run directory and prints, and ``batch_size`` is the global batch,
    split evenly over the processes.

    Everything that can be checked without torch is checked before torch loads;
    a refused call changes nothing on disk.
    """
    check_data_specs(data)
    _check_length(steps, epochs)
    check_options(options)
    if extend and not resume:
        raise GensynthError(f"{option('extend', True)} lengthens a run being resumed; add {option('resume', True)}")
    registry = get_registry()
    spec = model_spec(model, registry)
    for name, spec_text in ([("data", data)] if isinstance(data, str) else
                            [(f"data[{domain}]", text) for domain, text in data.items()]):
        check_spec(spec_text, registry, name)
    if out is None and resume:
        raise GensynthError(f"resuming needs the run directory: pass {option('out', 'RUN_DIR')} (the run to continue)")
    run = RunDir(out) if out is not None else None
    main = writes_run_dir()  # the other processes of a multi-process run read the run but never write it
    with contextlib.ExitStack() as held:
        with refused_together():  # rank 0's refusals refuse every process
            # A default runs/<model>-<n> is new: claimed by mkdir in _train and locked there, then by the Trainer.
            if run is not None:
                held.enter_context(RunLock(run.path, "gensynth train", enabled=main))
            # The one scan of the checkpoints; with --epochs the last step is known once the data is loaded (_train).
            checkpoint = run.check_start(resume, steps) if main and run is not None else None
            recorded = run.read_config() if run is not None and resume and run.exists() else None
            if recorded is not None:
                if recorded["model"]["id"] != spec.id:  # before the recipe, which is the other model's
                    raise GensynthError(f"cannot resume: the run trained {recorded['model']['id']}, not {spec.id}")
                recipe, options = _resumed_settings(recorded, recipe, options)
            chosen = spec.recipe(recipe) if recipe != "" else None
            if chosen is not None:
                options = {**chosen.training, **options}
            if recorded is not None:  # the run's own config (not today's defaults), under the values given
                config_obj = _check_same_run(spec, recorded, config, data)
            else:
                asked = {**chosen.config, **dict(config or {})} if chosen is not None else config
                config_obj = make_config(spec, asked)
            check_options(options)
            if checkpoint is not None:  # the run's batch size and seed unless others are asked for
                run.check_batch_size_and_seed(checkpoint, options.get("batch_size", TrainOptions.batch_size),
                                              options.get("seed", TrainOptions.seed))
        return _train(spec, config_obj, data, run, recorded, checkpoint, steps, epochs, chosen.name if chosen else "",
                      resume, extend, allow_world_size_change, download, hooks, progress, threads, options, registry)


def _check_length(steps: Any, epochs: Any) -> None:
    if (steps is None) == (epochs is None):
        raise GensynthError(f"give exactly one of {option('steps')} or {option('epochs')}")
    name, value = ("steps", steps) if steps is not None else ("epochs", epochs)
    if isinstance(value, bool) or not isinstance(value, int):
        raise GensynthError(f"{option(name)} must be an integer, got {value!r}")
    if value < 1:
        raise GensynthError(f"{option(name)} must be at least 1, got {value}")


def _resumed_settings(recorded: dict[str, Any], recipe: str | None,
                      options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The recipe, batch size and seed of the run being resumed, unless they are asked for."""
    if "training" not in recorded:
        raise GensynthError(f"{recorded.get('model', {}).get('id', 'the model')} in this folder was saved with "
                            f"save_pretrained, not trained here, so it cannot be resumed; train into another "
                            f"{option('out')} folder")
    training = recorded["training"]
    trained_with = training.get("recipe") or ""  # "": a run recorded without a recipe
    if recipe is not None and recipe != trained_with:
        raise GensynthError(f"cannot resume: the run was trained with recipe {trained_with or '(none)'!r}, "
                            f"not {recipe!r}; drop {option('recipe')} or start a new run in another "
                            f"{option('out')} folder")
    kept = {name: training[name] for name in ("batch_size", "seed") if name in training and name not in options}
    return trained_with, {**options, **kept}  # the run's, not the recipe's


def _train(spec: ModelSpec, config: ModelConfig, data: DataSpecs, run: RunDir | None,
           recorded: dict[str, Any] | None, checkpoint: tuple[int, Path] | None, steps: int | None,
           epochs: int | None, recipe: str, resume: bool,
           extend: bool, allow_world_size_change: bool, download: bool, hooks: Iterable[object],
           progress: bool | str | Progress, threads: int | None, options: dict[str, Any],
           registry: Registry) -> RunContext:
    """The torch side of :func:`train`, once every check that needs no torch has passed; ``run`` None: a new
    ``runs/<model>-<n>``; ``checkpoint``: the one a resumed run continues from (``RunDir.check_start``, in the
    process that writes the run; None in the others), which the Trainer does not check again."""
    import torch

    from gensynth._data.domains import data_info, load_model_data, steps_per_epoch
    from gensynth._data.loader import share_of
    from gensynth._evaluation.training import training_evaluation
    from gensynth._training.progress import make_progress
    from gensynth._training.rundir import check_not_finished, new_run_dir
    from gensynth._training.runtime import Runtime
    from gensynth._training.trainer import Trainer

    with Runtime.create(options.get("device", TrainOptions.device),
                        options.get("precision", TrainOptions.precision)) as runtime:
        threads_used, threads_note = _training_threads(threads, recorded)
        net = build_model(spec, config, seed=options.get("seed", 0))
        dataset = load_model_data(data, net.data_request(), registry, download=download)
        net.bind_data(data_info(dataset))
        if steps is None:
            steps = epochs * steps_per_epoch(dataset, options.get("batch_size", TrainOptions.batch_size))
            runtime.on_main(lambda: check_not_finished(checkpoint, steps))  # the last step is known now
        opts = TrainOptions(steps=steps, **options)
        share_of(opts.batch_size, runtime.world_size)
        evaluate = (runtime.on_main(lambda: training_evaluation(net, spec, opts, data, registry))
                    if opts.eval_every or opts.eval_metrics else None)
        training = {**vars(opts), "recipe": recipe, "threads": threads_used}
        record = {**recorded, "training": training} if recorded is not None else {
            "gensynth_version": __version__,
            "torch_version": torch.__version__,
            "model": _model_record(spec, config),
            "training": training,
            "data": {"spec": _spec_record(data), "info": data_info(dataset)},
        }
        reporter = make_progress(progress if runtime.is_main else "none")
        trainer = Trainer(net, dataset, run.path if run else DEFAULT_RUNS, opts, model_id=spec.id,
                          manager=registry.manager, hooks=hooks, progress=reporter, evaluate=evaluate, record=record,
                          runtime=runtime)
        with contextlib.ExitStack() as claim:
            if run is None:  # a new runs/<model>-<n>, claimed by rank 0 once nothing before training refuses
                path = None
                if runtime.is_main:  # locked at once: a start the Trainer refuses removes the folder it left empty
                    path, created = new_run_dir(DEFAULT_RUNS, spec.name)
                    claim.enter_context(RunLock(path, "gensynth train", created=created))
                run = RunDir(runtime.share(str(path) if path is not None else None))
                trainer.run = run
            if runtime.is_main:
                _announce(reporter, spec, data, run, checkpoint, opts, threads_used, evaluate)
                if threads_note:
                    reporter.note(threads_note)
            return trainer.fit(resume=resume, extend=extend, allow_world_size_change=allow_world_size_change,
                               checked=True, checkpoint=checkpoint)


def _training_threads(threads: int | None, recorded: dict | None) -> tuple[int, str]:
    """Set torch's CPU threads for training; ``(threads, note)``. A resumed run keeps the count it was
    trained with unless one is asked for (other counts change the last bits of the results, so the
    continued run would not be bit-identical to an uninterrupted one; the note says so)."""
    before = (recorded or {}).get("training", {}).get("threads")
    asked = threads is not None or bool(os.environ.get(THREADS_ENV))
    used = use_threads(threads if asked or not before else int(before))
    note = ""
    if before and used != before:
        note = (f"note: the run was trained with {before} CPU thread{'s' * (before != 1)} and continues with {used}; "
                f"its results will differ in the last digits from an uninterrupted run's (--threads {before} keeps them)")
    return used, note


def _announce(reporter: Progress, spec: ModelSpec, data: DataSpecs, run: RunDir, latest: tuple[int, Path] | None,
              opts: TrainOptions, threads: int, evaluate: TrainingEvaluation | None) -> None:
    """Before training starts: where the run writes, what it trains on (from checkpoint ``latest`` on), how, and
    what it evaluates."""
    from gensynth._training.runtime import select_device

    steps = f"steps {latest[0]} to {opts.steps}" if latest else f"{opts.steps} step{'s' * (opts.steps != 1)}"
    device = select_device(opts.device)
    where = f"{device.type}, {threads} CPU thread{'s' * (threads != 1)}" if device.type == "cpu" else str(device)
    reporter.note(f"{spec.id}: {'resuming' if latest else 'training'} {steps} on {describe_specs(data)} "
                  f"(batch {opts.batch_size}, {where}) into {run.path}")
    if evaluate is not None:
        reporter.note(f"{spec.id}: evaluating every {opts.eval_every} steps: {evaluate.describe()}")


def _spec_record(data: DataSpecs) -> str | dict[str, str]:
    """How ``config.json`` records the data specs: the spec, or ``{domain: spec}``."""
    return data if isinstance(data, str) else dict(data)


def _recorded_config(spec: ModelSpec, recorded: Mapping[str, Any]) -> ModelConfig:
    """The config a run recorded in its ``config.json`` (fields it predates: :meth:`ModelConfig.recorded`)."""
    return make_config(spec, spec.config.recorded(recorded["model"].get("config", {})))


def _check_same_run(spec: ModelSpec, recorded: dict[str, Any], config: Mapping[str, Any] | None,
                    data: DataSpecs) -> ModelConfig:
    """The config to resume the run with: its recorded one, checked against the ``config`` values given (the
    same values or none) and the data against the run's."""
    kept = _recorded_config(spec, recorded)
    given = make_config(spec, {**kept.to_dict(), **dict(config or {})}).to_dict()
    differing = differing_fields(kept.to_dict(), given)
    if differing:
        raise GensynthError(
            f"cannot resume: model config differs from the run's in {', '.join(differing)}; "
            f"drop those {option('config')} values or start a new run with another {option('out')} folder"
        )
    trained_on = recorded.get("data", {}).get("spec")
    if trained_on != _spec_record(data):
        raise GensynthError(f"cannot resume: the run was trained on {describe_specs(trained_on)}, "
                            f"not {describe_specs(data)}")
    return kept


def load_run(run_dir: str | Path, device: str | torch.device = "cpu", registry: Registry | None = None, *,
             record: Mapping[str, Any] | None = None) -> Model:
    """The model saved in a run directory, in eval mode, with its latest weights.

    ``record`` is the run's ``config.json`` where the caller has read it already (``RunDir.read_config()``),
    so that one command reads it once."""
    from gensynth._training.rundir import fit_weights, load_weights

    run = RunDir(run_dir)
    recorded = run.read_config() if record is None else record
    spec = model_spec(recorded["model"]["id"], registry)
    net = build_model(spec, _recorded_config(spec, recorded))
    if recorded.get("data", {}).get("info"):
        net.bind_data(recorded["data"]["info"])
    fit_weights(net, load_weights(run.weights_path), f"weights file {run.weights_path}",
                f"the run's {run.config_path.name} describes another model; restore the file that came with them")
    return net.to(device).eval()


def save_pretrained(model: Model, folder: str | Path, model_id: str) -> None:
    """A folder with ``config.json`` and ``model.safetensors``, loadable with :func:`load_run`.

    An earlier export in ``folder`` is replaced; a training run there is refused.
    """
    from gensynth._training.rundir import save_weights

    run = RunDir(folder)
    spec = model_spec(model_id)
    with RunLock(run.path, "save_pretrained"):
        if run.checkpoints() or (run.exists() and "training" in run.read_config()):
            raise GensynthError(f"{run.path} holds a training run; save the model into another folder")
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
    from gensynth._metadata.capabilities import TRANSLATE, require
    from gensynth._models.translation import translate_images, translation_jobs

    registry = get_registry()
    run = RunDir(run_dir)
    recorded = run.read_config()
    spec = model_spec(recorded["model"]["id"], registry)
    require(spec, TRANSLATE, "gensynth translate", registry.list_models())
    jobs = translation_jobs(inputs)
    _check_translation_outputs(run, [name for _, name in jobs], Path(out_dir), sheet)
    net = load_run(run_dir, device, registry, record=recorded)
    return translate_images(net, jobs, direction, out_dir, batch_size, sheet)


def _check_translation_outputs(run: RunDir, names: list[Path], out_dir: Path, sheet: str | Path | None) -> None:
    """Refuse, before anything loads, translations (``names`` under ``out_dir``) or a sheet among the run's own
    files. A name's first part is enough: below it, everything belongs to the same folder of the run or to none."""
    given = option("out_dir", str(out_dir))
    run.check_output(out_dir / "translated.png", given)
    for top in sorted({name.parts[0] for name in names}):
        run.check_output(out_dir / top, f"{out_dir / top} (written under {given})")
    if sheet is not None:
        run.check_output(sheet, option("sheet", str(sheet)))


def evaluate(
    run_dir: str | Path,
    metrics: Iterable[str],
    *,
    reference: str | None = None,
    num_samples: int | None = None,
    seed: int = 0,
    extractor: str = "classifier",
    extractor_weights: str | Path | None = None,
    extractor_options: Mapping[str, str] = (),
    classifier_data: str | None = None,
    params: Mapping[str, Mapping[str, Any]] = (),
    device: str = "auto",
    save: bool = True,
    threads: int | None = None,
) -> EvaluationReport:
    """Measure ``metrics`` (ids or short names) of the model in ``run_dir`` against ``reference``.

    ``reference`` is a data spec (default: the run's ``--data``); ``params`` sets metric
    parameters (``{"kid": {"subset_size": 500}}``). With ``save``, the report is written to
    ``RUN_DIR/eval/<timestamp>.json`` (``report.path``). A model whose samples hold NaN or
    infinite values is refused. ``threads`` sets torch's CPU threads as in :func:`train`.
    """
    from gensynth._evaluation.cache import file_sha256
    from gensynth._evaluation.session import Evaluation, EvaluationReport
    from gensynth._training.runtime import select_device

    check_seed(seed)
    use_threads(threads)
    registry = get_registry()
    run = RunDir(run_dir)
    recorded = run.read_config()
    reference = reference or recorded.get("data", {}).get("spec")
    if not isinstance(reference, str):
        raise GensynthError(f"{run.path} records no single data set to compare with; pass "
                            f"{option('reference', 'SPEC')}")
    target = select_device(device)
    net = load_run(run.path, target, registry, record=recorded)
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


def runs(folder: str | Path = DEFAULT_RUNS) -> list[RunSummary]:
    """The runs at or below ``folder`` (model, step, status, age, latest evaluation), as ``gensynth runs`` lists them."""
    return find_runs(folder)


def report(run_dirs: Iterable[str | Path], output: str | Path = "report.html") -> Path:
    """Write the self-contained HTML report of ``gensynth report`` about ``run_dirs``; returns its path."""
    from gensynth._reports.page import write_report

    run_dirs = list(run_dirs)
    for run_dir in run_dirs:
        RunDir(run_dir).check_output(output, option("output", str(output)))
    return write_report(run_dirs, output)
