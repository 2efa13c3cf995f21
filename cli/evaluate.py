"""``gensynth evaluate``: metrics of trained runs, each printed with the protocol it was measured under."""

from __future__ import annotations

from typing import Any

import click

from gensynth.cli.output import console, print_json


@click.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(), metavar="RUN_DIR...")
@click.option("--metrics", required=True, metavar="LIST",
              help="Comma-separated: fid, kid, is, prc, mode_coverage, elbo, nll, translation, or a plugin's "
                   "(see `gensynth plugins`).")
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
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.option("--no-save", is_flag=True, help="Do not write RUN_DIR/eval/<timestamp>.json.")
def evaluate(run_dirs, metrics, reference, num_samples, seed, extractor, extractor_weights, extractor_options,
             classifier_data, params, device, as_json, no_save) -> None:
    """Measure METRICS of the models in RUN_DIR... and record every value with its protocol."""
    from gensynth import api
    from gensynth._metadata.config import parse_assignments
    from gensynth._evaluation.session import parse_params

    options = parse_assignments(extractor_options, option="--extractor-option")
    names = [name.strip() for name in metrics.split(",") if name.strip()]
    reports = [api.evaluate(run, names, reference=reference, num_samples=num_samples, seed=seed, extractor=extractor,
                            extractor_weights=extractor_weights, extractor_options=options,
                            classifier_data=classifier_data, params=parse_params(params), device=device,
                            save=not no_save)
               for run in run_dirs]
    if as_json:
        print_json([report.to_json() for report in reports])
    else:
        print_reports(reports)
    for report in reports:
        if report.path:
            click.echo(f"Wrote {report.path}", err=True)


def print_reports(reports: list[Any]) -> None:
    """One table of every value, the protocols it refers to, and a warning for each value measured differently."""
    from rich.table import Table

    from gensynth._evaluation.session import incomparable

    several = len(reports) > 1
    table = Table(header_style="bold")
    for column in (["run"] if several else []) + ["metric", "value", "±", "samples", "protocol"]:
        table.add_column(column, overflow="fold")
    protocols: dict[str, tuple[str, dict]] = {}
    for report in reports:
        for result in report.results:
            protocols.setdefault(result.protocol_id, (result.metric, result.protocol))
            samples = result.protocol.get("generated", {}).get("num_samples", "-")
            for name, value in result.values.items():
                if name.endswith("_std"):
                    continue
                spread = result.values.get(f"{name}_std")
                row = [name, f"{value:.6g}", "-" if spread is None else f"{spread:.2g}", str(samples), result.protocol_id]
                table.add_row(*([report.run["dir"]] if several else []), *row)
    out = console()
    out.print(table)
    for pid, (metric, protocol) in protocols.items():
        out.print(f"  {pid}  {metric}: {describe(protocol)}", highlight=False)
    labelled = [(report.run["dir"], result) for report in reports for result in report.results]
    for line in incomparable(labelled):
        console(stderr=True).print(f"[yellow]warning:[/] {line}", highlight=False)


def describe(protocol: dict) -> str:
    """A protocol on one line: extractor, reference, generated samples, versions."""
    parts = []
    extractor = protocol.get("extractor")
    if extractor:
        accuracy = extractor.get("test_accuracy")
        parts.append(f"extractor {extractor['id']}" + (f" (test accuracy {accuracy:.1%})" if accuracy is not None else ""))
    for role in ("reference", "source"):
        data = protocol.get(role)
        if data:
            parts.append(f"{role} {data['spec']} ({data['num_samples']:,} samples)")
    generated = protocol.get("generated")
    if generated:
        parts.append(f"{generated['num_samples']:,} generated (seed {generated['seed']})")
    params = protocol.get("params")
    if params:
        parts.append(", ".join(f"{k}={v}" for k, v in params.items()))
    versions = protocol.get("versions", {})
    parts.append(" ".join(f"{k} {v}" for k, v in versions.items()))
    return "; ".join(parts)
