"""Evaluation during training: what the Trainer calls every ``TrainOptions.eval_every`` steps and at the last.

The Trainer knows nothing of metrics: it calls ``evaluate(run)`` and logs the
returned values under ``eval/<name>`` in TensorBoard, then calls the
``on_evaluation_done`` hooks. This callable puts the model in eval mode, runs
the metrics, writes ``RUN_DIR/eval/step-NNNNNNNN.json`` and leaves the model's
mode and every random generator as it found them, so a run that evaluates
trains exactly like one that does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gensynth._data.domains import DataSpecs
from gensynth._errors import GensynthError
from gensynth._evaluation.session import Evaluation, EvaluationReport
from gensynth._models.model import Model
from gensynth._discovery.registry import Registry
from gensynth._naming import option
from gensynth._training.rng import capture_rng, restore_rng
from gensynth._training.runtime import select_device
from gensynth._metadata.specs import ModelSpec

if TYPE_CHECKING:
    from gensynth._training.options import TrainOptions
    from gensynth._training.trainer import RunContext


class TrainingEvaluation:
    """``evaluate(run) -> {value name: value}`` for the Trainer."""

    def __init__(self, evaluation: Evaluation, model_spec: ModelSpec) -> None:
        self.evaluation, self.model_spec = evaluation, model_spec

    def __call__(self, run: RunContext) -> dict[str, float]:
        model = run.model
        rng, was_training = capture_rng(), model.training
        model.eval()
        try:
            results = self.evaluation.run(model, self.model_spec)
        finally:
            model.train(was_training)
            restore_rng(rng)
        report = EvaluationReport({"dir": str(run.dir), "model_id": run.model_id, "step": run.step}, results)
        report.save(run.dir / "eval", name=f"step-{run.step:08d}")
        return {name: value for result in results for name, value in result.values.items()}


def training_evaluation(model: Model, model_spec: ModelSpec, options: TrainOptions, data: DataSpecs,
                        registry: Registry) -> TrainingEvaluation:
    """The evaluation ``options`` ask for, checked against ``model`` now, before training starts."""
    if not options.eval_metrics:
        raise GensynthError(f"{option('eval_every')} needs {option('eval_metrics')}, e.g. mode_coverage")
    reference = options.eval_reference or (data if isinstance(data, str) else "")
    if not reference:
        raise GensynthError(f"evaluating a model trained on several domains needs {option('eval_reference', 'SPEC')}")
    evaluation = Evaluation(options.eval_metrics, reference, model.data_request(), registry,
                            device=select_device(options.device), num_samples=options.eval_samples or None,
                            reference_option="eval_reference" if options.eval_reference else "data")
    evaluation.check(evaluation.context(model, model_spec))
    return TrainingEvaluation(evaluation, model_spec)
