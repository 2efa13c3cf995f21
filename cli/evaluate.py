"""``gensynth evaluate``: metrics of trained runs, each printed with the protocol it was measured under."""

from __future__ import annotations

from typing import Any

import click

from gensynth.cli.options import threads_option

from gensynth.cli.output import console, print_json


@click.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(), metavar="RUN_DIR...")
@click.option("--metrics", required=True, metavar="LIST",
              help="Comma-separated metric names: fid, kid, is, prc, mode_coverage, elbo, nll, reconstruction, "
                   "code_usage, translation, or a plugin's (see `gensynth plugins`).")
@click.option("--reference", metavar="SPEC",
              help="Data to compare with [default: the run's --data]; SPEC@START:END takes part of it (mnist:PATH@8000:).")
@click.option("--num-samples", type=int, help="Generated samples per metric [default: each metric's, 10,000 or 2,500].")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the generated samples.")
@click.option("--extractor", default="classifier", show_default=True, help="Feature extractor: classifier, inception, or a plugin's.")
@click.option("--extractor-weights", type=click.Path(dir_okay=False),
              help="Weights file of the extractor (inception: pt_inception-2015-12-05-6726825d.pth).")
@click.option("--extractor-option", "extractor_options", multiple=True, metavar="KEY=VALUE",
              help="Extractor setting, e.g. steps=500 for the classifier (repeatable).")
@click.option("--classifier-data", metavar="SPEC", help="Labelled data the classifier extractor trains on [default: the reference].")
@click.option("--param", "params", multiple=True, metavar="METRIC.FIELD=VALUE",
              help="Metric parameter, e.g. kid.subset_size=500 (repeatable).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")
@threads_option(resumable=False)
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.option("--no-save", is_flag=True, help="Do not write RUN_DIR/eval/<timestamp>.json.")
def evaluate(run_dirs, metrics, reference, num_samples, seed, extractor, extractor_weights, extractor_options,
             classifier_data, params, device, threads, as_json, no_save) -> None:
    """Measure METRICS of the models in RUN_DIR... and record every value with its protocol."""
    from gensynth import api
    from gensynth._metadata.config import parse_assignments
    from gensynth._evaluation.session import parse_params

    options = parse_assignments(extractor_options, option="--extractor-option")
    names = [name.strip() for name in metrics.split(",") if name.strip()]
    reports = [api.evaluate(run, names, reference=reference, num_samples=num_samples, seed=seed, extractor=extractor,
                            extractor_weights=extractor_weights, extractor_options=options,
                            classifier_data=classifier_data, params=parse_params(params), device=device,
                            save=not no_save, threads=threads)
               for run in run_dirs]
    if as_json:
        print_json([report.to_json() for report in reports])
    else:
        print_reports(reports)
    for report in reports:
        if report.path:
            click.echo(f"Wrote {report.path}", err=True)


def print_reports(reports: list[Any]) -> None:
    """The values in one table per feature space (named in its title with the reference data, and whether
    the values compare with published numbers in its caption), each protocol in words, and a warning for
    each metric measured under different protocols."""
    from rich.markup import escape
    from rich.table import Table

    from gensynth._evaluation.describe import describe, feature_space, published_sentence, reference_text, value_rows

    several = len(reports) > 1
    groups: dict[str, list[tuple[str, Any]]] = {}
    for report in reports:
        for result in report.results:
            groups.setdefault(feature_space(result.protocol), []).append((report.run["dir"], result))
    out = console()
    for space, results in groups.items():
        references = [text for text in dict.fromkeys(reference_text(r.protocol) for _, r in results) if text != "-"]
        title = f"feature space: {space if space != '-' else 'none'}" + (
            f"; reference: {', '.join(references)}" if references else "")
        table = Table(title=escape(title), caption=escape(published_sentence(results[0][1].protocol)),
                      header_style="bold", title_justify="left", caption_justify="left")
        for column in (["run"] if several else []) + ["metric", "value", "±", "samples", "protocol"]:
            table.add_column(column, overflow="fold", justify="right" if column in ("value", "±", "samples") else "left")
        for run_dir, result in results:
            samples = result.protocol.get("generated", {}).get("num_samples")
            for name, value, spread in value_rows(result.values):
                row = [name, f"{value:.6g}", "-" if spread is None else f"{spread:.2g}",
                       "-" if samples is None else f"{samples:,}", result.protocol_id]
                table.add_row(*([escape(run_dir)] if several else []), *row)
        out.print(table)
    protocols = {r.protocol_id: r for results in groups.values() for _, r in results}
    for pid, result in protocols.items():
        out.print(f"  {pid}  {result.metric}: {escape(describe(result.protocol))}", highlight=False)
    warn_incomparable([(run_dir, r) for results in groups.values() for run_dir, r in results])


def warn_incomparable(labelled: list[tuple[str, Any]]) -> None:
    from rich.markup import escape

    from gensynth._evaluation.session import incomparable

    for line in incomparable(labelled):
        console(stderr=True).print(f"[yellow]warning:[/] {escape(line)}", highlight=False)
