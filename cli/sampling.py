"""``gensynth sample``."""

from __future__ import annotations

import click


@click.command()
@click.argument("run_dir", type=click.Path())
@click.option("-n", "--num", "n", type=int,
              help="Number of samples [default: 64 images, 2,500 points]; with --interpolate, of rows [default: 8].")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--label", type=int, help="Generate this class (models with the 'conditional' capability).")
@click.option("--interpolate", is_flag=True,
              help="Write latent interpolations: each row walks from one seeded sample to another.")
@click.option("--steps", type=int, default=10, show_default=True, help="With --interpolate: images per row.")
@click.option("--linear", is_flag=True, help="With --interpolate: straight lines instead of spherical (slerp) paths.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Grid PNG [default: RUN_DIR/sample.png].")
@click.option("--out-dir", type=click.Path(file_okay=False), help="Also write each sample as its own PNG here.")
@click.option("--nrow", type=int, help="Images per grid row.")
@click.option("--device", default="cpu", show_default=True)
def sample(run_dir, n, seed, label, interpolate, steps, linear, output, out_dir, nrow, device) -> None:
    """Generate N samples from a trained RUN_DIR into a grid PNG.

    A conditional model without --label gives one row per class.
    """
    from gensynth.cli.runs import open_run
    from gensynth._errors import GensynthError
    from gensynth._models.images import POINT_PREVIEW_SAMPLES, Mixture, as_images, save_each, save_grid
    from gensynth._training.rundir import RunDir
    from gensynth._training.runtime import select_device

    if n is not None and n < 1:
        raise GensynthError("-n must be at least 1")
    run = open_run(run_dir, select_device(device))
    if interpolate:
        images, rows_of = _interpolations(run, n or 8, steps, seed, label, linear)
    else:
        images, rows_of = _samples(run, n or (POINT_PREVIEW_SAMPLES if run.spec.data == "points" else 64), seed, label)
    images = as_images(images, Mixture.of(RunDir(run_dir).read_config().get("data", {}).get("info")))
    output = output or f"{run_dir}/sample.png"
    save_grid(images, output, nrow or rows_of)
    click.echo(f"Wrote {output}", err=True)
    if out_dir:
        paths = save_each(images, out_dir)
        click.echo(f"Wrote {len(paths)} PNGs to {out_dir}", err=True)


def _samples(run, n: int, seed: int, label: int | None):
    """``(images, images per row or None)``: n samples, of one class with ``label``, or one row per class
    from a conditional model (``ceil(n / classes)`` each)."""
    import torch

    from gensynth._metadata.capabilities import CONDITIONAL

    if label is not None:
        return run.model.sample(n, seed=seed, labels=run.class_labels(label, n)), None
    if not run.has(CONDITIONAL):
        return run.model.sample(n, seed=seed), None
    classes = run.model.num_classes
    per_class = -(-n // classes)
    labels = torch.arange(classes).repeat_interleave(per_class)
    return run.model.sample(len(labels), seed=seed, labels=labels), per_class


def _interpolations(run, rows: int, steps: int, seed: int, label: int | None, linear: bool):
    """``(images, steps)``: one row per pair of seeded codes; a conditional model keeps ``label``,
    or gives row ``i`` class ``i mod classes``."""
    import torch

    from gensynth._metadata.capabilities import CONDITIONAL, LATENT
    from gensynth._errors import GensynthError
    from gensynth._models.interpolation import latent_interpolations

    run.require(LATENT, "--interpolate")
    if steps < 2:
        raise GensynthError(f"--steps must be at least 2 (the two ends of each row), got {steps}")
    kwargs = {}
    if label is not None:
        kwargs["labels"] = run.class_labels(label, rows * steps)
    elif run.has(CONDITIONAL):
        kwargs["labels"] = (torch.arange(rows) % run.model.num_classes).repeat_interleave(steps)
    return latent_interpolations(run.model, rows, steps, seed, spherical=not linear, **kwargs), steps
