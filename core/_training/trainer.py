"""One Trainer for every model.

The Trainer knows no model family: it asks the model for its optimizers,
schedulers and the phases of one iteration, and drives them. Around that it
owns everything a run needs: device and precision (through the Runtime),
deterministic data order, progress output (a rich bar or plain lines), TensorBoard scalars and sample
grids, atomic checkpoints, exact resume, Ctrl-C and NaN handling, and the
lifecycle hooks.

Under torchrun every process runs the same Trainer on its share of each batch
(see :mod:`gensynth._training.parallel`): rank 0 alone writes logs, previews,
evaluations and checkpoints and calls the lifecycle hooks, the others wait for
it; logged values are averaged over the processes, and a checkpoint holds every
process's random state.
"""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import threading
import warnings
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import torch

from gensynth._data.domains import open_batches, smallest_size, steps_per_epoch
from gensynth._errors import GensynthError, NonFiniteLoss, TrainingInterrupted
from gensynth._models.images import POINT_PREVIEW_SAMPLES, Mixture, as_images, grid, save_grid
from gensynth._models.model import Model
from gensynth._discovery.loader import PluginManager
from gensynth._training.hooks import RunHooks
from gensynth._training.parallel import DataParallel, synchronize
from gensynth._training.progress import Progress, make_progress
from gensynth._training.rng import capture_rng, rank_seed, restore_rng, seed_everything
from gensynth._training.rundir import RunDir, read_json, STATE_JSON
from gensynth._training.runtime import Runtime
from gensynth._training.state import join_state, split_state
from gensynth._training.status import StatusWriter
from gensynth._training.tblog import Logger
from gensynth._version import __version__

PREVIEW_SEED = 1234


@dataclasses.dataclass
class TrainOptions:
    """How to train; recorded in ``config.json`` under ``"training"``."""

    steps: int
    batch_size: int = 64
    seed: int = 0
    log_every: int = 50
    sample_every: int = 500
    checkpoint_every: int = 500
    keep_checkpoints: int = 3
    #: Samples in each preview; 0: 64 images, or POINT_PREVIEW_SAMPLES (2,500) points for point data.
    preview_samples: int = 0
    device: str = "auto"
    precision: str = "fp32"
    #: Evaluate every N steps (0: never) with the metrics ``eval_metrics`` against ``eval_reference``
    #: (default: the training data), from ``eval_samples`` generated samples (0: each metric's default).
    eval_every: int = 0
    eval_metrics: tuple[str, ...] = ()
    eval_reference: str = ""
    eval_samples: int = 0

    def validate(self) -> None:
        for name in ("steps", "batch_size", "log_every", "sample_every", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise GensynthError(f"{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        for name in ("eval_every", "eval_samples", "preview_samples"):
            if getattr(self, name) < 0:
                raise GensynthError(f"{name.replace('_', '-')} must be at least 0, got {getattr(self, name)}")


@dataclasses.dataclass
class RunContext:
    """What lifecycle hooks receive as ``run``."""

    dir: Path
    model: Model
    model_id: str
    options: TrainOptions
    runtime: Runtime
    logger: Logger
    total_steps: int
    step: int = 0
    last_checkpoint: Path | None = None
    steps_per_epoch: int = 0


def _processes(count: int) -> str:
    return f"{count} process" if count == 1 else f"{count} processes"


@contextlib.contextmanager
def _quiet_first_schedule():
    """Schedules count iterations: an optimizer whose phase runs every k steps (a GAN's generator
    with n_disc > 1) has not stepped at a run's first step, which torch warns about, wrongly here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step\\(\\)` before")
        yield


class Trainer:
    """Drive ``model`` on ``data`` into ``run_dir`` (see :mod:`gensynth._training.rundir`).

    ``data`` is one data set, or ``{domain: data set}`` for a model that asks for
    several domains (see :mod:`gensynth._data.domains`).

    ``hooks`` are extra objects with ``@gensynth.hookimpl`` lifecycle methods that belong
    to this run (see :mod:`gensynth._training.hooks`), called after those of the plugins
    of ``manager``. ``progress`` chooses what is printed while training (see
    :mod:`gensynth._training.progress`): a built-in consumer of the same hooks, the first
    of the run's objects. ``evaluate(run) -> {name: value}`` is called
    every ``options.eval_every`` steps (see :mod:`gensynth._evaluation.training`); its
    values are logged under ``eval/<name>`` and passed to ``on_evaluation_done``.

    ``runtime`` is where to train (default: ``Runtime.create(options.device, options.precision)``,
    made and closed by :meth:`fit`). With several processes, ``evaluate`` is only needed on rank 0.
    """

    def __init__(
        self,
        model: Model,
        data: Any,
        run_dir: str | Path,
        options: TrainOptions,
        *,
        model_id: str = "",
        manager: PluginManager | None = None,
        hooks: Iterable[object] = (),
        progress: bool | str | Progress = "auto",
        evaluate: Callable[[RunContext], dict[str, float]] | None = None,
        runtime: Runtime | None = None,
    ) -> None:
        options.validate()
        if options.eval_every and evaluate is None and (runtime is None or runtime.is_main):
            raise ValueError("TrainOptions.eval_every needs Trainer(evaluate=...)")
        self.evaluate = evaluate
        self.runtime = runtime
        self.model, self.data, self.options = model, data, options
        self.run = RunDir(run_dir)
        self.model_id = model_id
        self.progress = make_progress(progress)
        self.hooks = RunHooks(manager or PluginManager(), [self.progress, *hooks])
        self._stop_requested = False
        self._preview_batch: dict | None = None

    # -- public -------------------------------------------------------------------

    def fit(self, resume: bool = False, allow_world_size_change: bool = False) -> RunContext:
        """Train until ``options.steps``; with ``resume``, continue from the latest checkpoint.

        A checkpoint written by another number of processes is refused unless
        ``allow_world_size_change`` (the run then continues, but not bit-exactly)."""
        with contextlib.ExitStack() as owned:
            runtime = self.runtime or owned.enter_context(Runtime.create(self.options.device, self.options.precision))
            return self._fit(runtime, resume, allow_world_size_change)

    def check_resume(self, runtime: Runtime, allow_world_size_change: bool = False) -> tuple[int, Path] | None:
        """The checkpoint a resume continues from (rank 0's choice, in every process), or None; a GensynthError
        when it cannot continue with these options and processes. Reads only the checkpoint's ``state.json``."""
        latest = runtime.share(self.run.latest_checkpoint() if runtime.is_main else None)
        if latest is None:
            return None
        tree = read_json(latest[1] / STATE_JSON, "checkpoint state")
        opts, data = self.options, tree.get("data", {})
        if data.get("batch_size", opts.batch_size) != opts.batch_size or data.get("seed", opts.seed) != opts.seed:
            raise GensynthError(
                f"cannot resume with a different batch size or seed (checkpoint: batch size {data.get('batch_size')}, "
                f"seed {data.get('seed')}); drop --batch-size/--seed or start a new run"
            )
        saved = int(tree.get("world_size", 1))
        if saved != runtime.world_size and not allow_world_size_change:
            raise GensynthError(
                f"cannot resume bit-exactly: checkpoint {latest[1].name} was written by {_processes(saved)} and this run "
                f"has {_processes(runtime.world_size)}; launch {saved} (torchrun --nproc-per-node {saved} -m gensynth "
                "train ...), or pass --allow-world-size-change to continue anyway (weights, optimizers and data order "
                "carry over, the per-process random streams do not)"
            )
        return latest

    def _fit(self, runtime: Runtime, resume: bool, allow_world_size_change: bool) -> RunContext:
        opts = self.options
        model = runtime.prepare(self.model.to(runtime.device))
        self.model = model
        model.train()
        optimizers = model.configure_optimizers()
        schedulers = model.configure_schedulers(optimizers, opts.steps)
        phases = model.training_phases()
        unknown = [p.optimizer for p in phases if p.optimizer not in optimizers]
        if unknown:
            raise GensynthError(f"model phase uses optimizer {unknown[0]!r}, but the model defines {', '.join(optimizers)}")
        scaler = runtime.grad_scaler()

        start = 0
        checkpoint = self.check_resume(runtime, allow_world_size_change) if resume else None
        if checkpoint:
            start = self._restore(checkpoint[1], optimizers, schedulers, scaler, runtime)
        else:
            seed_everything(rank_seed(opts.seed, runtime.rank))
        if start >= opts.steps:
            raise GensynthError(f"the run is already at step {start} of {opts.steps}; pass a larger --steps to continue")
        parallel = DataParallel(model, optimizers, runtime)

        logger = Logger(self.run.logs_dir, enabled=runtime.is_main)
        ctx = RunContext(self.run.path, model, self.model_id, opts, runtime, logger, opts.steps, step=start,
                         last_checkpoint=checkpoint[1] if checkpoint else None,
                         steps_per_epoch=steps_per_epoch(self.data, opts.batch_size))
        stream = open_batches(self.data, opts.batch_size, opts.seed, start_step=start, device=runtime.device,
                              rank=runtime.rank, world_size=runtime.world_size)
        status, error = "failed", None
        record = StatusWriter(self.run.path, opts.steps, enabled=runtime.is_main)
        record.begin(start)
        try:
            self._hook(ctx, "on_run_start", run=ctx)
            with self._sigint_saves():
                self._loop(ctx, stream, optimizers, schedulers, scaler, phases, parallel, record)
            status = "interrupted" if self._stop_requested else "completed"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        except BaseException as exc:
            error = str(exc).splitlines()[0] if isinstance(exc, GensynthError) else f"{type(exc).__name__}: {exc}"
            raise
        finally:
            record.end(status, ctx.step, error)
            self._hook(ctx, "on_run_end", run=ctx, status=status)
            logger.close()
        if self._stop_requested:
            raise TrainingInterrupted(
                f"interrupted at step {ctx.step}; checkpoint saved in {ctx.last_checkpoint}; continue with --resume"
            )
        return ctx

    def _hook(self, ctx: RunContext, name: str, **kwargs: Any) -> None:
        """Lifecycle hooks run in rank 0 only (the process that writes the run)."""
        if ctx.runtime.is_main:
            self.hooks.call(name, **kwargs)

    # -- the loop -------------------------------------------------------------------

    def _loop(self, ctx, stream, optimizers, schedulers, scaler, phases, parallel, record) -> None:
        opts, model, runtime = self.options, self.model, ctx.runtime
        sums: dict[str, torch.Tensor] = {}
        counts: dict[str, int] = {}  # per key: phases that run every k steps log means over their own runs
        batches: Iterator = iter(stream)
        first = ctx.step + 1
        for step in range(first, opts.steps + 1):
            batch = next(batches)
            scratch: dict = {}
            for phase in phases:
                if not phase.active(step):
                    continue
                optimizer = optimizers[phase.optimizer]
                optimizer.zero_grad(set_to_none=True)
                with runtime.autocast():
                    loss, logs = parallel.loss(phase, batch, scratch)
                if runtime.synchronous and runtime.any(not torch.isfinite(loss).item()):
                    self._non_finite(phase.name, step, ctx)
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
                with torch.no_grad():
                    model.after_optimizer_step(phase.name, step)
                for key, value in {phase.name: loss.detach(), **logs}.items():
                    sums[key] = sums.get(key, 0) + value.detach().float()
                    counts[key] = counts.get(key, 0) + 1
            with _quiet_first_schedule() if step == first else contextlib.nullcontext():
                for scheduler in schedulers.values():
                    scheduler.step()
            model.end_iteration(step)
            ctx.step = step
            self._hook(ctx, "on_step_end", run=ctx, step=step)
            record.beat(step)
            if step % ctx.steps_per_epoch == 0:
                self._hook(ctx, "on_epoch_end", run=ctx, epoch=step // ctx.steps_per_epoch, step=step)

            logs_now = step % opts.log_every == 0 or step == opts.steps
            if logs_now:
                sums = self._averaged(runtime, sums)
                self._check_finite(ctx, step, sums)
                means = {k: float(v) / counts[k] for k, v in sums.items()}
                scalars = self._log(ctx, step, means, optimizers)
                self._hook(ctx, "on_log", run=ctx, step=step, metrics=scalars)
                sums, counts = {}, {}
            stop = self._agreed_stop(runtime, due=logs_now or runtime.synchronous)
            preview = step % opts.sample_every == 0 or step == opts.steps
            evaluate = bool(opts.eval_every) and (step % opts.eval_every == 0 or step == opts.steps)
            save = stop or step % opts.checkpoint_every == 0 or step == opts.steps
            if save:
                self._check_finite(ctx, step, sums)
            if preview or evaluate or save:
                synchronize(model, runtime, step)
            if preview:
                self._write_preview(ctx, step)
            if evaluate:
                self._evaluate(ctx, step)
            if save:
                self._save(ctx, step, optimizers, schedulers, scaler)
            if preview or evaluate or save:
                runtime.barrier()  # the other processes wait while rank 0 writes
            if stop:
                self._stop_requested = True
                return

    def _agreed_stop(self, runtime: Runtime, due: bool) -> bool:
        """Whether to stop after this step (a Ctrl-C). With several processes, one that any of them saw stops
        them all at the same step: they agree every step on CPU, at logging steps on GPUs (where asking costs
        a device round trip)."""
        if not runtime.distributed:
            return self._stop_requested
        return due and runtime.any(self._stop_requested)

    def _averaged(self, runtime: Runtime, sums: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The logged sums averaged over the processes (every process logs the same keys)."""
        if not runtime.distributed or not sums:
            return sums
        keys = sorted(sums)
        values = runtime.average_(torch.stack([torch.as_tensor(sums[k], device=runtime.device) for k in keys]))
        return dict(zip(keys, values))

    def _evaluate(self, ctx: RunContext, step: int) -> None:
        if not ctx.runtime.is_main:
            return
        results = self.evaluate(ctx)
        ctx.logger.scalars(step, {f"eval/{name}": value for name, value in results.items()})
        self._hook(ctx, "on_evaluation_done", run=ctx, step=step, results=results)

    def _log(self, ctx: RunContext, step: int, means: dict[str, float], optimizers) -> dict[str, float]:
        """Write the scalars of ``step`` to TensorBoard and return them (what ``on_log`` gets)."""
        scalars = {f"loss/{k}" if "/" not in k else k: v for k, v in means.items()}
        for name, opt in optimizers.items():
            scalars[f"lr/{name}"] = opt.param_groups[0]["lr"]
        ctx.logger.scalars(step, scalars)
        return scalars

    def _check_finite(self, ctx: RunContext, step: int, sums: dict[str, torch.Tensor]) -> None:
        """Before logging or a checkpoint: losses not yet checked (off CPU) and the weights must be finite
        (in every process: one that finds a problem stops them all)."""
        bad = [k for k, v in sums.items() if not bool(torch.isfinite(v).all())]
        bad += [f"weights ({name})" for name, p in self.model.named_parameters() if not bool(torch.isfinite(p).all())][:1]
        if ctx.runtime.any(bool(bad)):
            self._non_finite(bad[0] if bad else None, step, ctx)

    def _non_finite(self, name: str | None, step: int, ctx: RunContext) -> None:
        last = f"the last good checkpoint ({ctx.last_checkpoint}) is untouched" if ctx.last_checkpoint else "no checkpoint was written"
        what = f"loss {name!r}" if name else "a loss of another process"
        raise NonFiniteLoss(
            f"{what} became NaN or infinite at step {step}; training stopped and {last}; "
            "try a lower learning rate or check the data"
        )

    def _write_preview(self, ctx: RunContext, step: int) -> None:
        if not ctx.runtime.is_main:
            return
        count = self._preview_count()
        if self._preview_batch is None:
            size = min(count, smallest_size(self.data))
            self._preview_batch = next(open_batches(self.data, size, PREVIEW_SEED, device=ctx.runtime.device))
        modes = None if isinstance(self.data, dict) else Mixture.of(self.data.info())
        for name, pictures in self.model.previews(self._preview_batch, count, PREVIEW_SEED).items():
            images = as_images(pictures, modes)
            prefix = "" if name == "samples" else f"{name}-"
            save_grid(images, self.run.samples_dir / f"{prefix}step-{step:08d}.png")
            ctx.logger.image(name, grid(images), step)

    def _preview_count(self) -> int:
        if self.options.preview_samples:
            return self.options.preview_samples
        points = not isinstance(self.data, dict) and self.data.kind == "points"
        return POINT_PREVIEW_SAMPLES if points else 64

    # -- checkpoints ------------------------------------------------------------------

    def _save(self, ctx: RunContext, step: int, optimizers, schedulers, scaler) -> None:
        """Rank 0 writes the checkpoint, with every process's random state and model training state
        (``rng``/``model``: rank 0's, ``other_ranks``: the others', in order)."""
        runtime = ctx.runtime
        mine = {"rng": capture_rng(), "model": self.model.training_state()}
        if runtime.distributed:  # as JSON trees and CPU tensors, so no GPU tensor crosses processes
            ranks = [join_state(*part) for part in runtime.gather(split_state(mine)) or []]
        else:
            ranks = [mine]
        ctx.last_checkpoint = self.run.checkpoints_dir / f"step-{step:08d}"
        if not runtime.is_main:
            return
        state = {
            "step": step,
            "optimizers": {n: o.state_dict() for n, o in optimizers.items()},
            "schedulers": {n: s.state_dict() for n, s in schedulers.items()},
            "scaler": scaler.state_dict() if scaler.is_enabled() else {},
            "model": ranks[0]["model"],
            "rng": ranks[0]["rng"],
            "world_size": runtime.world_size,
            "other_ranks": ranks[1:],
            "data": {"seed": self.options.seed, "batch_size": self.options.batch_size, "next_step": step},
        }
        metadata = {"model_id": self.model_id, "step": str(step), "gensynth": __version__,
                    "world_size": str(runtime.world_size)}
        ctx.last_checkpoint = self.run.save_checkpoint(step, self.model, state, metadata, self.options.keep_checkpoints)
        ctx.logger.flush()
        self._hook(ctx, "on_checkpoint_saved", run=ctx, step=step, path=ctx.last_checkpoint)

    def _restore(self, folder: Path, optimizers, schedulers, scaler, runtime: Runtime) -> int:
        """Load a checkpoint (already checked by :meth:`check_resume`); this process takes back its own random
        and model training state, or, when the number of processes grew, rank 0's model state and fresh seeds."""
        weights, state = self.run.load_checkpoint(folder)
        ranks = [{"rng": state["rng"], "model": state.get("model", {})}, *state.get("other_ranks", [])]
        mine = ranks[runtime.rank] if runtime.rank < len(ranks) else None
        try:
            self.model.load_state_dict(weights)
            for name, opt in optimizers.items():
                opt.load_state_dict(state["optimizers"][name])
            for name, sched in schedulers.items():
                sched.load_state_dict(state["schedulers"][name])
            if scaler.is_enabled() and state.get("scaler"):
                scaler.load_state_dict(state["scaler"])
            self.model.load_training_state((mine or ranks[0])["model"])
        except (KeyError, RuntimeError, ValueError) as exc:
            raise GensynthError(f"checkpoint {folder} does not match this model ({type(exc).__name__}: {exc})") from None
        if mine is not None:
            restore_rng(mine["rng"])
        else:
            seed_everything(rank_seed(self.options.seed, runtime.rank) + int(state["step"]))
        return int(state["step"])

    # -- terminal ---------------------------------------------------------------------

    @contextlib.contextmanager
    def _sigint_saves(self):
        """First Ctrl-C: finish the iteration, save, stop. Second: abort at once."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum, frame):
            if self._stop_requested:
                raise KeyboardInterrupt
            self._stop_requested = True

        previous = signal.signal(signal.SIGINT, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)
