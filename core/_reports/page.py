"""The report page: one HTML file with every image embedded (data URIs), no scripts, no external resources.

For each run: its facts (model, status, step, data), the preview pictures over
training, the training curves, the evaluation table (value, feature space,
reference, whether published numbers compare, protocol) and the configuration.
With several runs, a comparison first: the latest previews side by side, one table
of evaluation values in which a column holds values measured under one protocol
only (and a note says, for each metric measured under several, what differs),
the losses of all runs in shared axes, and the configuration fields that differ.
"""

from __future__ import annotations

import base64
import html
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from gensynth._evaluation.describe import describe, differences, feature_space, published, reference_text, value_rows
from gensynth._reports.collect import RunRecord, collect, spread
from gensynth._reports.plots import compared_png, curves_png
from gensynth._training.atomic import write_atomic
from gensynth._training.catalog import age_text
from gensynth._version import __version__

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; } h3 { margin-top: 1.4em; }
table { border-collapse: collapse; margin: .5em 0; } th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.strip { display: flex; flex-wrap: wrap; gap: 8px; } figure { margin: 0; text-align: center; }
figure img { width: 180px; border: 1px solid #eee; } figure img.pixels { image-rendering: pixelated; }
figcaption { font-size: .85em; color: #555; } img.curves { max-width: 100%; }
.note { color: #555; font-size: .9em; } .why { color: #8a4b00; } code { background: #f4f4f4; padding: 0 3px; }
"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def png_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def table(header: Iterable[str], rows: Iterable[Iterable[Any]], numeric: Iterable[int] = ()) -> str:
    numeric = set(numeric)
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td class=\"num\">{esc(c)}</td>" if i in numeric else f"<td>{esc(c)}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def picture(path: Path, caption: str, alt: str) -> str:
    """A PNG file as a captioned figure; a small one (a grid of 28-pixel samples) scaled up without blurring."""
    data = path.read_bytes()
    width = int.from_bytes(data[16:20], "big") if data[12:16] == b"IHDR" else 0
    pixels = ' class="pixels"' if 0 < width < 360 else ""
    return (f'<figure><img{pixels} src="{png_uri(data)}" alt="{esc(alt)}"><figcaption>{esc(caption)}</figcaption>'
            f'</figure>')


def number(value: float, spread_: float | None = None) -> str:
    return f"{value:.5g}" + ("" if spread_ is None else f" ± {spread_:.2g}")


# -- one run ---------------------------------------------------------------------------


def run_section(record: RunRecord, anchor: str) -> str:
    s, config = record.summary, record.config
    training = config.get("training", {})
    facts = [("model", s.model_id), ("status", s.status + (f": {s.error}" if s.error else "")),
             ("step", f"{s.step} of {s.total_steps}" if s.total_steps else s.step),
             ("last written", f"{age_text(s.age)} ago"), ("data", _data_text(config.get("data", {}).get("spec"))),
             ("recipe", training.get("recipe") or "-"), ("batch size", training.get("batch_size", "-")),
             ("device", training.get("device", "-")), ("CPU threads", training.get("threads", "-"))]
    parts = [f'<h2 id="{anchor}">{esc(record.label)}</h2>', table(["", ""], facts),
             "<h3>Samples over training</h3>", previews_html(record)]
    curves = curves_png(record.scalars)
    parts.append("<h3>Training curves</h3>")
    parts.append(f'<img class="curves" src="{png_uri(curves)}" alt="training curves of {esc(record.label)}">'
                 if curves else '<p class="note">No TensorBoard scalars were logged.</p>')
    parts += ["<h3>Evaluations</h3>", evaluations_html(record.results), "<h3>Configuration</h3>",
              config_html(config)]
    return "\n".join(parts)


def _data_text(spec: Any) -> str:
    if isinstance(spec, dict):
        return ", ".join(f"{name}: {value}" for name, value in spec.items())
    return str(spec or "-")


def previews_html(record: RunRecord) -> str:
    if not record.previews:
        return '<p class="note">No preview pictures (RUN/samples/) were written.</p>'
    parts = []
    for kind, items in record.previews.items():
        shown = spread(items)
        count = f"{len(shown)} of {len(items)}" if len(shown) < len(items) else f"{len(items)}"
        parts.append(f"<p>{esc(kind)} ({count} pictures, fixed seed)</p><div class=\"strip\">")
        parts += [picture(path, f"step {step}", f"{kind} at step {step}") for step, path in shown]
        parts.append("</div>")
    return "\n".join(parts)


def evaluations_html(results: list[dict[str, Any]]) -> str:
    if not results:
        return ('<p class="note">No evaluations yet: <code>gensynth evaluate RUN --metrics ...</code> or '
                '<code>gensynth train ... --eval-every N --eval-metrics ...</code>.</p>')
    rows = []
    for result in results:
        protocol = result["protocol"]
        samples = protocol.get("generated", {}).get("num_samples")
        for name, value, spread_ in value_rows(result["values"]):
            rows.append([name, number(value, spread_), "-" if samples is None else f"{samples:,}",
                         feature_space(protocol), reference_text(protocol), published(protocol),
                         result.get("protocol_id", "?"), "-" if result.get("step") is None else result["step"],
                         result.get("created", "")])
    header = ["value", "result", "samples", "feature space", "reference", "published numbers compare?", "protocol",
              "at step", "measured (UTC)"]
    protocols = {r.get("protocol_id", "?"): r for r in results}
    notes = "".join(f"<li><code>{esc(pid)}</code> {esc(r['metric'])}: {esc(describe(r['protocol']))}</li>"
                    for pid, r in protocols.items())
    return table(header, rows, numeric=(1, 2)) + f'<ul class="note">{notes}</ul>'


def config_html(config: dict[str, Any]) -> str:
    model = config.get("model", {})
    fields = sorted(model.get("config", {}).items())
    training = sorted((k, v) for k, v in config.get("training", {}).items())
    versions = [("gensynth", config.get("gensynth_version", "-")), ("torch", config.get("torch_version", "-")),
                ("plugin", f"{model.get('plugin', '-')} {model.get('plugin_version', '')}")]
    return (f"<p>Model config ({esc(model.get('id', '?'))}):</p>" + table(["field", "value"], fields)
            + "<p>Training options:</p>" + table(["option", "value"], training)
            + "<p>Versions:</p>" + table(["", ""], versions))


# -- several runs -------------------------------------------------------------------------


def comparison_section(records: list[RunRecord]) -> str:
    parts = ['<h2 id="comparison">Comparison</h2>', "<h3>Latest samples</h3>", '<div class="strip">']
    for record in records:
        latest = record.previews.get("samples") or next(iter(record.previews.values()), [])
        if latest:
            step, path = latest[-1]
            parts.append(picture(path, f"{record.label}, step {step}", f"{record.label} samples"))
    parts += ["</div>", "<h3>Evaluation values</h3>", comparison_table(records)]
    losses = compared_png({r.label: r.scalars for r in records}, "loss/", "loss")
    if losses:
        parts += ["<h3>Losses</h3>", f'<img class="curves" src="{png_uri(losses)}" alt="losses of every run">']
    parts += ["<h3>Configuration differences</h3>", config_differences(records)]
    return "\n".join(parts)


def comparison_table(records: list[RunRecord]) -> str:
    """Rows are runs; a column holds one value name under one protocol, so values side by side compare."""
    columns: dict[tuple[str, str], dict[str, Any]] = {}  # (value name, protocol id) -> a result under it
    cells: dict[tuple[str, tuple[str, str]], str] = {}
    by_metric: dict[str, dict[str, tuple[str, dict]]] = {}
    for record in records:
        for result in record.results:
            pid = result.get("protocol_id", "?")
            by_metric.setdefault(result["metric"], {}).setdefault(pid, (record.label, result["protocol"]))
            for name, value, spread_ in value_rows(result["values"]):
                columns.setdefault((name, pid), result)
                at = "" if result.get("step") is None else f" (step {result['step']})"
                cells[record.label, (name, pid)] = number(value, spread_) + at
    if not columns:
        return '<p class="note">None of these runs has been evaluated.</p>'
    header = "<th>run</th>" + "".join(
        f"<th>{esc(name)}<br><span class=\"note\">protocol {esc(pid)}: {esc(feature_space(r['protocol'], False))}"
        f" features, {esc(reference_text(r['protocol']))}, "
        f"{r['protocol'].get('generated', {}).get('num_samples', '-'):,} samples</span></th>"
        if r["protocol"].get("generated") else
        f"<th>{esc(name)}<br><span class=\"note\">protocol {esc(pid)}</span></th>"
        for (name, pid), r in columns.items())
    body = "".join("<tr><td>" + esc(record.label) + "</td>" + "".join(
        f"<td class=\"num\">{esc(cells.get((record.label, key), '-'))}</td>" for key in columns) + "</tr>"
        for record in records)
    notes = []
    for metric, protocols in by_metric.items():
        if len(protocols) < 2:
            continue
        (label_a, a), *others = protocols.values()
        for label_b, b in others:
            what = ", ".join(differences(a, b)) or "their protocol"
            notes.append(f"{metric}: {label_a} and {label_b} were measured under different protocols (they differ "
                         f"in {what}), so their values are in separate columns: they are not comparable.")
    why = "".join(f"<li>{esc(n)}</li>" for n in notes)
    return (f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"
            + (f'<ul class="why">{why}</ul>' if why else
               '<p class="note">Each metric was measured under one protocol for every run that has it: '
               'values in one column compare.</p>'))


def config_differences(records: list[RunRecord]) -> str:
    def flat(record: RunRecord) -> dict[str, Any]:
        config = record.config
        values = {"model": config.get("model", {}).get("id"), "data": _data_text(config.get("data", {}).get("spec"))}
        values.update({f"config.{k}": v for k, v in config.get("model", {}).get("config", {}).items()})
        values.update({f"training.{k}": v for k, v in config.get("training", {}).items()})
        return values

    flats = [flat(r) for r in records]
    keys = sorted({k for f in flats for k in f})
    differing = [k for k in keys if len({repr(f.get(k)) for f in flats}) > 1]
    if not differing:
        return '<p class="note">The runs have the same configuration.</p>'
    return table(["field", *(r.label for r in records)], [[k, *(f.get(k, "-") for f in flats)] for k in differing])


# -- the page ---------------------------------------------------------------------------------


def render(records: list[RunRecord]) -> str:
    labels = ", ".join(r.label for r in records)
    written = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    toc = "".join(f'<li><a href="#run-{i}">{esc(r.label)}</a> ({esc(r.summary.model_id)}, {esc(r.summary.status)})</li>'
                  for i, r in enumerate(records))
    body = [f"<h1>gensynth report</h1><p class=\"note\">{len(records)} run{'s' * (len(records) != 1)}, written "
            f"{written} by gensynth {esc(__version__)}.</p><ul>{toc}</ul>"]
    if len(records) > 1:
        body.append(comparison_section(records))
    body += [run_section(record, f"run-{i}") for i, record in enumerate(records)]
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>gensynth report: {esc(labels)}"
            f"</title><style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def write_report(run_dirs: list[str | Path], output: str | Path) -> Path:
    """Write the report about ``run_dirs`` to ``output`` (atomically) and return its path."""
    records = [collect(run_dir) for run_dir in run_dirs]
    output = Path(output)
    text = render(records)
    write_atomic(output, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return output
