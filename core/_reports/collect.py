"""Everything a report shows about one run, read from its files (nothing is computed again)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from gensynth._errors import GensynthError
from gensynth._training.catalog import RunSummary, evaluation_reports, read_run_config, summarize

_PREVIEW = re.compile(r"^(?:(?P<kind>.+)-)?step-(?P<step>\d+)\.png$")
#: Preview pictures shown per kind, spread evenly over training (the last always included).
PREVIEWS_SHOWN = 8


@dataclasses.dataclass
class RunRecord:
    """One run as a report shows it."""

    summary: RunSummary
    config: dict[str, Any]
    #: Preview PNGs by kind (``samples``, ``reconstructions``, ...), ``(step, path)`` oldest first.
    previews: dict[str, list[tuple[int, Path]]]
    #: Logged scalars by TensorBoard tag: ``[(step, value), ...]``.
    scalars: dict[str, list[tuple[int, float]]]
    #: The newest result of each (metric, protocol), each with its report's ``step`` and ``created``.
    results: list[dict[str, Any]]

    @property
    def label(self) -> str:
        return str(self.summary.dir)


def previews(samples_dir: Path) -> dict[str, list[tuple[int, Path]]]:
    found: dict[str, list[tuple[int, Path]]] = {}
    for path in sorted(samples_dir.glob("*.png")) if samples_dir.is_dir() else []:
        match = _PREVIEW.match(path.name)
        if match:
            found.setdefault(match["kind"] or "samples", []).append((int(match["step"]), path))
    return {kind: sorted(items) for kind, items in found.items()}


def spread(items: list, count: int = PREVIEWS_SHOWN) -> list:
    """At most ``count`` of ``items``, evenly spaced, first and last included."""
    if len(items) <= count:
        return list(items)
    picks = sorted({round(i * (len(items) - 1) / (count - 1)) for i in range(count)})
    return [items[i] for i in picks]


def scalars(logs_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar in the run's TensorBoard event files, by tag (a resumed run's files are read in order)."""
    if not logs_dir.is_dir() or not any(logs_dir.glob("events.out.tfevents.*")):
        return {}
    from tensorboard.backend.event_processing.event_accumulator import SCALARS, EventAccumulator

    accumulator = EventAccumulator(str(logs_dir), size_guidance={SCALARS: 0})
    accumulator.Reload()
    out = {}
    for tag in accumulator.Tags()[SCALARS]:
        by_step = {event.step: event.value for event in accumulator.Scalars(tag)}  # a re-logged step: the last
        out[tag] = sorted(by_step.items())
    return out


def latest_results(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest result of each (metric, protocol id) over all of a run's evaluation ``reports``
    (:func:`~gensynth._training.catalog.evaluation_reports`, oldest first)."""
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for report in reports:
        for result in report["results"]:
            key = (result.get("metric", "?"), result.get("protocol_id", "?"))
            newest[key] = {**result, "step": report.get("run", {}).get("step"), "created": report.get("created", "")}
    return list(newest.values())


def collect(run_dir: str | Path) -> RunRecord:
    """What the report shows about the run in ``run_dir``; a GensynthError when it is not a run."""
    path = Path(run_dir)
    config = read_run_config(path)
    if config is None:
        raise GensynthError(f"{path} is not a gensynth run (no readable config.json); "
                            f"`gensynth runs` lists the runs below a folder")
    reports = evaluation_reports(path)
    summary = summarize(path, config=config, reports=reports)
    return RunRecord(summary, config, previews(path / "samples"), scalars(path / "logs"), latest_results(reports))
