"""``gensynth reconstruct``."""

from __future__ import annotations

import click


@click.command()
@click.argument("run_dir", type=click.Path())
@click.option("--data", "data_spec", required=True, metavar="SPEC", help="The images to reconstruct (any data spec).")
@click.option("-n", "--num", "n", type=int, default=32, show_default=True, help="Reconstruct the first N images.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Grid PNG [default: RUN_DIR/reconstructions.png].")
@click.option("--nrow", type=int, help="Pairs per grid row.")
@click.option("--device", default="cpu", show_default=True)
def reconstruct(run_dir, data_spec, n, output, nrow, device) -> None:
    """Write the first N images of --data SPEC, each beside its reconstruction by the model in RUN_DIR."""
    import dataclasses

    from gensynth._metadata.capabilities import CONDITIONAL, RECONSTRUCT
    from gensynth.cli.runs import open_run
    from gensynth._data.loader import ordered_batches
    from gensynth._data.spec import load_data
    from gensynth._errors import GensynthError
    from gensynth._models.images import save_grid, side_by_side
    from gensynth._training.rundir import RunDir
    from gensynth._training.runtime import select_device

    if n < 1:
        raise GensynthError("-n must be at least 1")
    if nrow is not None and nrow < 1:
        raise GensynthError(f"--nrow must be at least 1, got {nrow}")
    output = output or f"{run_dir}/reconstructions.png"
    RunDir(run_dir).check_output(output, f"-o {output}")
    target = select_device(device)
    run = open_run(run_dir, target)
    run.require(RECONSTRUCT, "reconstruct")
    # A conditional model is given the data's labels when it has as many classes as the
    # model; otherwise (no labels, other classes) the model infers each image's class.
    request = dataclasses.replace(run.model.data_request(), labels=False)
    data = load_data(data_spec, request, run.registry)
    batch = next(ordered_batches(data, min(n, len(data))))
    x = batch["x"].to(target)
    same_classes = run.has(CONDITIONAL) and data.num_classes == run.model.num_classes
    labels = {"labels": batch["y"]} if same_classes else {}
    pairs = side_by_side(x, run.model.reconstruct(x, **labels))
    save_grid(pairs, output, nrow)
    click.echo(f"Wrote {output} ({len(pairs)} images, each beside its reconstruction)", err=True)
