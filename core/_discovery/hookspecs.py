"""Every gensynth hook, documented where it is declared.

Plugins implement hooks with ``@gensynth.hookimpl``. Registration hooks get a
``register`` callback, so the core decides naming (``plugin:name``), duplicates
and errors; a plugin never writes into a registry directly. Lifecycle hooks
are called by the Trainer, for the installed plugins and for the objects given
to ``Trainer(hooks=[...])`` / ``api.train(hooks=...)``.

Every call goes through pluggy, one plugin at a time
(:mod:`gensynth._discovery.hookcalls`):

* an implementation declares only the arguments it uses, in any order
  (``def on_run_end(run)`` is a valid implementation of ``on_run_end(run, status)``),
  so hooks may gain arguments in a minor API version without breaking plugins;
* a plugin whose hook raises is reported (a warning naming the plugin and the
  command that removes it) and the other plugins' implementations still run;
  training goes on, unless ``GENSYNTH_STRICT=1``, which turns the failure into
  an error;
* return values are ignored (no hook is ``firstresult``).

Registration hooks run while listing, so the module that implements them must
not import torch or model code at top level: declare metadata and a lazy
``module:attr`` target instead. Lifecycle hooks run inside training: the
per-step ones (``on_step_end``) must be cheap, and none may change the model's
or the optimizers' state unless it means to (what they change before a
checkpoint is saved in it).
"""

from __future__ import annotations

from typing import Any, Callable

import pluggy

PROJECT = "gensynth"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- registration ---------------------------------------------------------


@hookspec
def register_models(register: Callable[..., None]) -> None:
    """Declare generative models.

    Call ``register(ModelSpec(name=..., family=..., summary=..., target="pkg.module:Class",
    config=MyConfig, ...))`` once per model. The model's id becomes ``<plugin>:<name>``,
    where ``<plugin>`` is the entry-point name. ``target`` is imported only when the
    model is built.
    """


@hookspec
def register_losses(register: Callable[..., None]) -> None:
    """Declare losses with ``register(LossSpec(name=..., family="gan", summary=..., target=...))``."""


@hookspec
def register_augmentations(register: Callable[..., None]) -> None:
    """Declare image augmentations for the discriminator of every GAN with
    ``register(AugmentationSpec(name=..., summary=..., target="pkg.module:MyAugmentation"))``.

    The target is a :class:`gensynth.Augmentation` subclass. A GAN run selects it with
    ``--set augment=NAME`` and builds it with :func:`gensynth.build_augmentation`, passing the
    config's augmentation options as keywords (``policy``, ``p``, ``target``, ``interval``,
    ``speed_kimg``); the constructor receives those it names. The augmentation then transforms
    every batch the discriminator sees, real and generated, and :meth:`Augmentation.observe`
    receives the discriminator's outputs on the real images of each discriminator step; what it
    must keep across a resume it returns from :meth:`Augmentation.training_state`, which the
    model saves with its own training state.
    """


@hookspec
def register_evaluators(register: Callable[..., None]) -> None:
    """Declare metrics with ``register(EvaluatorSpec(name=..., summary=..., target=...))``."""


@hookspec
def register_extractors(register: Callable[..., None]) -> None:
    """Declare feature extractors for ``gensynth evaluate --extractor NAME`` with
    ``register(ExtractorSpec(name=..., summary=..., target=...))``.

    The target is a callable ``(setup: ExtractorSetup) -> FeatureExtractor``
    (see :mod:`gensynth._evaluation.interfaces`).
    """


@hookspec
def register_datasets(register: Callable[..., None]) -> None:
    """Declare data sources for ``--data`` with ``register(DatasetSpec(name=..., argument="PATH", ...))``.

    The target is a callable ``(argument: str, request: DataRequest, *, download: bool = False)``
    returning :class:`gensynth._data.dataset.TensorData` (in memory) or
    :class:`gensynth._data.dataset.StreamingImages` (decoded on demand).
    """


# -- training lifecycle ---------------------------------------------------
# ``run`` is a RunContext (gensynth._training.trainer): ``run.dir`` (the run folder),
# ``run.model``, ``run.model_id``, ``run.options`` (TrainOptions), ``run.runtime``
# (device, precision, rank), ``run.logger`` (TensorBoard), ``run.step`` (the last
# finished step, 0 before the first), ``run.total_steps``, ``run.steps_per_epoch``
# and ``run.last_checkpoint``. Steps are 1-based. In one iteration the hooks fire in
# this order: on_step_end, on_epoch_end, on_log, on_evaluation_done, on_checkpoint_saved.
# Under torchrun these run in rank 0 only, the process that writes the run.


@hookspec
def on_run_start(run: Any) -> None:
    """Training is about to start (``run.step == 0``) or resume (``run.step`` is the checkpoint's step)."""


@hookspec
def on_step_end(run: Any, step: int) -> None:
    """Training iteration ``step`` finished: every active phase stepped its optimizer and
    ``Model.end_iteration`` ran. Called at every step, so keep it cheap: the losses of
    single steps are not passed (reading them would wait for the device); use ``on_log``."""


@hookspec
def on_epoch_end(run: Any, epoch: int, step: int) -> None:
    """Step ``step`` finished epoch ``epoch`` (1-based): ``step == epoch * run.steps_per_epoch``.

    An epoch is one pass over the training data in the Trainer's deterministic
    order (over the largest domain for a model that learns between domains);
    a run that resumes mid-epoch calls it when that epoch ends."""


@hookspec
def on_log(run: Any, step: int, metrics: dict[str, float]) -> None:
    """The scalars written to TensorBoard at ``step``: every ``log_every`` steps and at the last step.

    Named as in TensorBoard: ``loss/<phase>`` for each phase's loss, a phase's logged
    values under their own names when they contain ``/`` (``d/real``) and as
    ``loss/<name>`` otherwise, ``lr/<optimizer>`` for each optimizer's learning rate.
    Loss values are means over the steps since the previous log (over the steps
    where the phase ran, for a phase that runs every k steps)."""


@hookspec
def on_checkpoint_saved(run: Any, step: int, path: Any) -> None:
    """A checkpoint for ``step`` was written atomically to folder ``path`` (``run.last_checkpoint``)."""


@hookspec
def on_evaluation_done(run: Any, step: int, results: dict[str, float]) -> None:
    """An evaluation during training (``--eval-every``) produced ``results`` (metric name -> value)."""


@hookspec
def on_run_end(run: Any, status: str) -> None:
    """Training ended with ``status``: ``"completed"``, ``"interrupted"`` (Ctrl-C, after saving)
    or ``"failed"`` (an exception, a NaN loss). Always called, last."""


#: The registration hooks, each with the kind of item it registers: what the registry files it under and
#: ``gensynth plugins`` lists it as. Metrics come through ``register_evaluators`` (named after ``EvaluatorSpec``
#: and the ``Evaluator`` class) but are called metrics wherever a user reads them, as in ``--metrics``.
REGISTRATION_HOOKS = {
    "register_models": "models", "register_losses": "losses", "register_augmentations": "augmentations",
    "register_evaluators": "metrics", "register_extractors": "extractors", "register_datasets": "datasets",
}
