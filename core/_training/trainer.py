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
from typing import Any, Callable, Iterable, Iterator, Mapping

import torch

from gensynth._data.domains import open_batches, smallest_size, steps_per_epoch
from gensynth._errors import GensynthError, NonFiniteLoss, TrainingInterrupted
from gensynth._models.images import POINT_PREVIEW_SAMPLES, Mixture, as_images, grid, save_grid
from gensynth._models.model import Model
from gensynth._discovery.loader import PluginManager
from gensynth._training.hooks import RunHooks
from gensynth._naming import option
from gensynth._training.lock import RunLock
from gensynth._training.options import TrainOptions
from gensynth._training.parallel import DataParallel, synchronize
from gensynth._training.progress import Progress, logs_at, make_progress
from gensynth._training.rng import capture_rng, rank_seed, restore_rng, seed_everything
from gensynth._training.rundir import RunDir, fit_weights
from gensynth._training.runtime import Runtime
from gensynth._training.state import join_state, split_state
from gensynth._training.status import StatusWriter
from gensynth._training.tblog import Logger
from gensynth._version import __version__

PREVIEW_SEED = 1234


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
    #: The step the learning-rate schedules were planned to end at (``--steps`` at the run's start,
    #: unless a resume extended it); recorded in every checkpoint.
    horizon: int = 0


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

    ``record`` is the run's ``config.json``, written once the run has started (with
    ``training.horizon`` filled in), so a start that is refused changes nothing.

    The main process owns the run directory while it trains (:mod:`gensynth._training.lock`).
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
        record: Mapping[str, Any] | None = None,
    ) -> None:
        options.validate()
        if options.eval_every and evaluate is None and (runtime is None or runtime.is_main):
            raise ValueError("TrainOptions.eval_every needs Trainer(evaluate=...)")
        self.evaluate = evaluate
        #: Whether evaluations are due at all; the same in every process (rank 0 alone runs them).
        self._evaluates = evaluate is not None or bool(options.eval_every)
        self.runtime = runtime
        self.model, self.data, self.options = model, data, options
        self.run = RunDir(run_dir)
        self.model_id = model_id
        self.progress = make_progress(progress)
        self.hooks = RunHooks(manager or PluginManager(), [self.progress, *hooks])
        self.record = dict(record) if record is not None else None
        self._stop_requested = False
        self._preview_batch: dict | None = None

    # -- public -------------------------------------------------------------------

    def fit(self, resume: bool = False, extend: bool = False, allow_world_size_change: bool = False, *,
            checked: bool = False, checkpoint: tuple[int, Path] | None = None) -> RunContext:
        """Train until ``options.steps``; with ``resume``, continue from the latest checkpoint.

        The start is checked first (:meth:`RunDir.check_start` with the options' steps,
        batch size and seed, on rank 0), unless ``checked``: the caller has checked it
        with these options already (``api.train`` does, before torch loads) and passes
        the ``checkpoint`` it found (rank 0's; None in the other processes).
        A resumed run keeps the horizon its learning-rate schedules were planned for;
        training past it needs ``extend``, which re-plans them over ``options.steps``.
        A checkpoint written by another number of processes is refused unless
        ``allow_world_size_change`` (the run then continues, but not bit-exactly).
        """
        with contextlib.ExitStack() as owned:
            runtime = self.runtime or owned.enter_context(Runtime.create(self.options.device, self.options.precision))
            owned.enter_context(RunLock(self.run.path, "gensynth train", enabled=runtime.is_main))
            opts = self.options
            found = checkpoint if checked else runtime.on_main(
                lambda: self.run.check_start(resume, opts.steps, opts.batch_size, opts.seed))
            return self._fit(runtime, runtime.share(found) if resume else None, extend, allow_world_size_change)

    def _fit(self, runtime: Runtime, checkpoint: tuple[int, Path] | None, extend: bool,
             allow_world_size_change: bool) -> RunContext:
        """Train from ``checkpoint`` (step, folder; None: step 0), the start being checked."""
        opts = self.options
        model = runtime.prepare(self.model.to(runtime.device))
        self.model = model
        model.train()
        optimizers = model.configure_optimizers()
        weights, state = self.run.load_checkpoint(checkpoint[1]) if checkpoint else (None, None)
        start = int(state["step"]) if state is not None else 0
        if state is not None:
            self._check_world_size(checkpoint[1], state, runtime, allow_world_size_change)
        schedulers, planned, horizon = self._schedules(optimizers, state, extend)
        phases = model.training_phases()
        unknown = [p.optimizer for p in phases if p.optimizer not in optimizers]
        if unknown:
            raise GensynthError(f"model phase uses optimizer {unknown[0]!r}, but the model defines {', '.join(optimizers)}")
        scaler = runtime.grad_scaler()
        if state is None:
            seed_everything(rank_seed(opts.seed, runtime.rank))
        else:
            replanned = bool(schedulers) and horizon != planned
            self._restore(checkpoint[1], weights, state, optimizers, {} if replanned else schedulers, scaler, runtime)
            if replanned:
                self._announce(runtime, self._replan(schedulers, optimizers, start, planned, horizon))
        parallel = DataParallel(model, optimizers, runtime)
        runtime.barrier()  # every process has read the run directory before rank 0 changes it

        # Accepted: from here on the run directory changes.
        if runtime.is_main:
            self.run.clean_stale()
            if self.record is not None:
                training = {**self.record.get("training", {}), "horizon": horizon}
                self.run.write_config({**self.record, "training": training})
        logger = Logger(self.run.logs_dir, enabled=runtime.is_main)
        ctx = RunContext(self.run.path, model, self.model_id, opts, runtime, logger, opts.steps, step=start,
                         last_checkpoint=checkpoint[1] if checkpoint else None, horizon=horizon,
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
                f"interrupted at step {ctx.step}; checkpoint saved in {ctx.last_checkpoint}; "
                f"continue with {option('resume', True)}"
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
                if not phase.active(step, opts.steps):
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

            logs_now = logs_at(ctx, step)
            if logs_now:
                sums = self._averaged(runtime, sums)
                self._check_finite(ctx, step, sums)
                means = {k: float(v) / counts[k] for k, v in sums.items()}
                scalars = self._log(ctx, step, means, optimizers)
                self._hook(ctx, "on_log", run=ctx, step=step, metrics=scalars)
                sums, counts = {}, {}
            stop = self._agreed_stop(runtime, due=logs_now or runtime.synchronous)
            preview = self._due(step, opts.sample_every)
            evaluate = self._evaluates and self._due(step, opts.eval_every)
            save = stop or self._due(step, opts.checkpoint_every)
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

    def _due(self, step: int, every: int) -> bool:
        """Whether a periodic action runs at ``step``: every ``every`` steps and at the last (0: the last only)."""
        return step == self.options.steps or (every > 0 and step % every == 0)

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
            "horizon": ctx.horizon,
        }
        metadata = {"model_id": self.model_id, "step": str(step), "gensynth": __version__,
                    "world_size": str(runtime.world_size)}
        ctx.last_checkpoint = self.run.save_checkpoint(step, self.model, state, metadata, self.options.keep_checkpoints)
        ctx.logger.flush()
        self._hook(ctx, "on_checkpoint_saved", run=ctx, step=step, path=ctx.last_checkpoint)

    def _schedules(self, optimizers, state: dict[str, Any] | None, extend: bool) -> tuple[dict[str, Any], int, int]:
        """``(schedulers, planned, horizon)``: the schedulers of this run, the horizon the checkpoint planned them
        for (``--steps`` for a new run or an older checkpoint) and this run's horizon."""
        steps = self.options.steps
        recorded = state.get("horizon") if state is not None else None
        planned = recorded if isinstance(recorded, int) and recorded > 0 else steps
        horizon = max(planned, steps) if extend else planned
        schedulers = self.model.configure_schedulers(optimizers, max(horizon, steps))
        if steps > horizon:
            if schedulers:
                raise GensynthError(
                    f"cannot train to step {steps}: the run's learning-rate schedules were planned to end at step "
                    f"{horizon}; pass {option('extend', True)} to re-plan them over {steps} steps, or give "
                    f"{option('steps', horizon)} or less")
            horizon = steps  # nothing is scheduled: the horizon is only recorded
        return schedulers, planned, horizon

    def _check_world_size(self, folder: Path, state: dict[str, Any], runtime: Runtime,
                          allow_world_size_change: bool) -> None:
        """Refuse (unless ``allow_world_size_change``) a resume with another number of processes than the
        checkpoint's (its batch size and seed were compared with the start, :meth:`RunDir.check_start`)."""
        saved = state.get("world_size", 1)
        if saved != runtime.world_size and not allow_world_size_change:
            raise GensynthError(
                f"cannot resume bit-exactly: checkpoint {folder.name} was written by {_processes(saved)} and this run "
                f"has {_processes(runtime.world_size)}; launch {saved} (torchrun --nproc-per-node {saved} -m gensynth "
                f"train ...), or pass {option('allow_world_size_change', True)} to continue anyway (weights, "
                "optimizers and data order carry over; processes beyond the checkpoint's start fresh random streams)"
            )

    def _restore(self, folder: Path, weights, state, optimizers, schedulers, scaler, runtime: Runtime) -> None:
        """Load a checkpoint into the model, optimizers, ``schedulers``, scaler and random generators; this process
        takes back its own random and model training state, or, when the number of processes grew, rank 0's model
        state and fresh seeds."""
        fit_weights(self.model, weights, f"checkpoint {folder}", "resume the run it belongs to, or delete that folder")
        ranks = [{"rng": state["rng"], "model": state.get("model", {})}, *state.get("other_ranks", [])]
        mine = ranks[runtime.rank] if runtime.rank < len(ranks) else None
        try:
            for name, opt in optimizers.items():
                opt.load_state_dict(state["optimizers"][name])
            for name, sched in schedulers.items():
                sched.load_state_dict(state["schedulers"][name])
            if scaler.is_enabled() and state.get("scaler"):
                scaler.load_state_dict(state["scaler"])
            self.model.load_training_state((mine or ranks[0])["model"])
        except (KeyError, RuntimeError, ValueError) as exc:
            raise GensynthError(f"checkpoint {folder} does not match this model "
                                f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from None
        if mine is None:
            seed_everything(rank_seed(self.options.seed, runtime.rank) + int(state["step"]))
            return
        try:
            restore_rng(mine["rng"])
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise GensynthError(f"checkpoint {folder} is damaged (its random states do not load: {exc}); "
                                f"delete that folder to resume from the previous one") from None

    @staticmethod
    def _replan(schedulers, optimizers, step: int, planned: int, horizon: int) -> str:
        """Move freshly built ``schedulers`` (planned over ``horizon``) to ``step``, from the learning rates they
        start from; return the line that says how the schedules continue."""
        before = {name: opt.param_groups[0]["lr"] for name, opt in optimizers.items()}
        for name, scheduler in schedulers.items():
            opt = scheduler.optimizer
            for group, lr in zip(opt.param_groups, scheduler.get_last_lr()):
                group["lr"] = lr  # the schedule's own starting point, not the checkpoint's end-of-plan rate
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # stepping a scheduler without optimizer steps is the point here
                for _ in range(step):
                    scheduler.step()
        scheduled = {id(scheduler.optimizer) for scheduler in schedulers.values()}
        rates = ", ".join(f"{name} {before[name]:.3g} -> {opt.param_groups[0]['lr']:.3g}"
                          for name, opt in optimizers.items() if id(opt) in scheduled)
        return (f"Extending the run from {planned} to {horizon} steps: its learning-rate schedules are re-planned over "
                f"{horizon} steps and continue from step {step} of the new plan (learning rate {rates})")

    def _announce(self, runtime: Runtime, line: str) -> None:
        if runtime.is_main:
            self.progress.note(line)

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
