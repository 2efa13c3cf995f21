"""``gensynth check``: run the conformance kit (:mod:`gensynth.testing`) on one model."""

from __future__ import annotations

import click

STYLES = {"passed": "green", "failed": "red", "skipped": "dim", "xfail": "yellow", "xpass": "yellow"}


@click.command()
@click.argument("model")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="Override a field of the model's test config (repeatable).")
@click.option("--data", "data_spec", metavar="SPEC", help="Data to train on [default: digits for images, ring8 for points].")
@click.option("--check", "only", multiple=True, metavar="NAME", help="Run only this check (repeatable).")
@click.option("--xfail", "xfails", multiple=True, metavar="CHECK=REASON", help="Declare a known failure (repeatable).")
@click.option("--xfail-strict", is_flag=True, help="A declared known failure that passes is an error.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
def check(model, assignments, data_spec, only, xfails, xfail_strict, as_json) -> None:
    """Check that MODEL conforms: metadata, config, sampling, training, save/load, exact resume."""
    from rich.markup import escape

    from gensynth import api
    from gensynth.cli.output import console, print_json
    from gensynth._discovery.registry import get_registry
    from gensynth._metadata.config import parse_assignments
    from gensynth._errors import GensynthError
    from gensynth.testing import check_model

    out = console()
    spec = get_registry().resolve("models", model)
    api.model_class(spec)  # a target that does not load is one error, before any check runs
    for warning in _name_warnings(spec):
        console(stderr=True).print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)

    def show(result) -> None:
        style = STYLES[result.status]
        out.print(f"[{style}]{result.status:<8}[/] {result.check:<26} {result.seconds:6.2f} s  {escape(result.message)}",
                  highlight=False, soft_wrap=True)

    report = check_model(model, config=parse_assignments(assignments), data=data_spec, checks=list(only) or None,
                         known_failures=parse_assignments(xfails, "--xfail"), strict=xfail_strict,
                         on_result=None if as_json else show)
    if as_json:
        print_json(report.to_json())
    else:
        out.print(report.summary(), highlight=False)
    if not report.ok:
        failed = ", ".join(r.check for r in report.failures)
        raise GensynthError(f"{report.model} failed {len(report.failures)} of {report.ran} checks: {failed}")


def _name_warnings(spec) -> list[str]:
    """The short-name conflicts that concern ``spec``: its plugin's, or the third-party names it shadows."""
    from gensynth._discovery.registry import get_registry

    registry = get_registry()
    record = registry.manager.record(spec.plugin)
    if record is None:
        return []
    if not record.builtin:
        return [f"{record.label}: {conflict}" for conflict in record.conflicts]
    return [f"model name {spec.name!r} is also registered by {other.id}, which is reachable only by that id"
            for other in registry.all("models") if other.name == spec.name and other.id != spec.id]
