"""The runs below a folder, each summed up from its files: model, progress, status, age, latest evaluation.

Torch-free and read-only: it reads ``config.json``, ``status.json``, the checkpoint
folder names and ``eval/*.json`` (see :mod:`gensynth._training.rundir`), so
``gensynth runs`` is quick and safe beside a run that is training.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

from gensynth._training.layout import CONFIG, STATUS
from gensynth._training.rundir import RunDir
from gensynth._training.status import effective_status, read_status


@dataclasses.dataclass
class RunSummary:
    """One run as ``gensynth runs`` lists it."""

    dir: Path
    model_id: str
    step: int
    total_steps: int | None
    status: str
    #: Seconds since the run last wrote its status, a checkpoint or its config.
    age: float
    error: str = ""
    #: The newest evaluation report's results (each with ``metric``, ``values``, ``protocol``), and its step.
    evaluation: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    evaluation_step: int | None = None

    def to_json(self) -> dict[str, Any]:
        record = dataclasses.asdict(self)
        record["dir"] = str(self.dir)
        record["age"] = round(self.age, 1)
        return record


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def evaluation_reports(run_dir: Path) -> list[dict[str, Any]]:
    """Every readable ``eval/*.json`` of a run, oldest first (by creation time, then step)."""
    reports = []
    for path in sorted((run_dir / "eval").glob("*.json")):
        report = _read_json(path)
        if isinstance(report, dict) and isinstance(report.get("results"), list):
            reports.append({**report, "path": str(path)})
    return sorted(reports, key=lambda r: (str(r.get("created", "")), r.get("run", {}).get("step") or 0))


def read_run_config(run_dir: str | Path) -> dict[str, Any] | None:
    """The ``config.json`` of the run in ``run_dir``; None when it holds no gensynth run."""
    config = _read_json(Path(run_dir) / CONFIG)
    return config if isinstance(config, dict) and isinstance(config.get("model"), dict) else None


def summarize(run_dir: str | Path, *, config: dict[str, Any] | None = None,
              reports: list[dict[str, Any]] | None = None) -> RunSummary | None:
    """The summary of the run in ``run_dir``; None when it holds no gensynth run.

    ``config`` (:func:`read_run_config`) and ``reports`` (:func:`evaluation_reports`) are the run's,
    where the caller has read them already, so that one command reads each file once."""
    run_dir = Path(run_dir)
    config = read_run_config(run_dir) if config is None else config
    if config is None:
        return None
    total = config.get("training", {}).get("steps")
    checkpoints = RunDir(run_dir).checkpoints()
    record = read_status(run_dir)
    if record is not None:
        status, step, error = effective_status(record), int(record.get("step", 0)), str(record.get("error", ""))
        total = record.get("total_steps", total)
    else:  # a run from before status.json: what its checkpoints say
        step = checkpoints[-1][0] if checkpoints else 0
        status, error = ("completed" if total and step >= total else "interrupted"), ""
    touched = [p.stat().st_mtime for p in (run_dir / STATUS, run_dir / CONFIG) if p.exists()]
    touched += [checkpoints[-1][1].stat().st_mtime] if checkpoints else []
    reports = evaluation_reports(run_dir) if reports is None else reports
    latest = reports[-1] if reports else {}
    return RunSummary(run_dir, config["model"].get("id", "?"), step, total, status,
                      max(0.0, time.time() - max(touched)), error, latest.get("results", []),
                      latest.get("run", {}).get("step"))


def find_runs(folder: str | Path) -> list[RunSummary]:
    """Every run at or below ``folder`` (a run's own sub-folders are not searched), sorted by path."""
    folder = Path(folder)
    found: list[RunSummary] = []
    pending = [folder]
    while pending:
        here = pending.pop()
        summary = summarize(here)
        if summary is not None:
            found.append(summary)
            continue
        try:
            pending += [child for child in here.iterdir() if child.is_dir() and not child.name.startswith(".")]
        except OSError:
            continue
    return sorted(found, key=lambda s: str(s.dir))


def age_text(seconds: float) -> str:
    """``42 s``, ``5 min``, ``3 h``, ``2 d``."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"

