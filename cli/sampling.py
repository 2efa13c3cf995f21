"""``gensynth sample``."""

from __future__ import annotations

import click

from gensynth._training.options import GRID_MAX
SAMPLES_MAX = 1_000_000
"""The most samples one command writes."""


@click.command()
@click.argument("run_dir", type=click.Path())
@click.option("-n", "--num", "n", type=int,
              help=f"Number of samples [default: 64 images, 2,500 points; at most {GRID_MAX:,} in a grid, "
                   f"{SAMPLES_MAX:,} with --out-dir]; with --interpolate, of rows [default: 8].")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--label", type=int, help="Generate this class (models with the 'conditional' capability).")
@click.option("--interpolate", is_flag=True,
              help="Write latent interpolations: each row walks from one seeded sample to another.")
@click.option("--steps", type=int, default=10, show_default=True, help="With --interpolate: images per row.")
@click.option("--linear", is_flag=True, help="With --interpolate: straight lines instead of spherical (slerp) paths.")
@click.option("--truncation", type=float, metavar="PSI",
              help="Truncation trick (models with the 'truncation' capability): codes pulled towards the mean "
                   "latent, mean + PSI * (z - mean), PSI in [0, 1]; 1 samples the prior, 0 gives the mean latent's "
                   "image.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Grid PNG [default: RUN_DIR/sample.png].")
@click.option("--out-dir", type=click.Path(file_okay=False), help="Also write each sample as its own PNG here.")
@click.option("--nrow", type=int, help="Images per grid row.")
@click.option("--device", default="cpu", show_default=True)
def sample(run_dir, n, seed, label, interpolate, steps, linear, truncation, output, out_dir, nrow, device) -> None:
    """Generate N samples from a trained RUN_DIR into a grid PNG.

    A conditional model without --label gives one row per class. The first
    10,000 samples are drawn at once (the grid shows them); more are drawn in
    chunks of 10,000 whose seeds derive from --seed, and written to --out-dir.
    """
    output, record = _check(run_dir, n, seed, interpolate, steps, truncation, output, out_dir, nrow)

    from gensynth.cli.runs import open_run
    from gensynth._models.images import POINT_PREVIEW_SAMPLES, Mixture, as_images, save_each, save_grid
    from gensynth._training.runtime import select_device

    run = open_run(run_dir, select_device(device), record)
    truncated = _truncation(run, truncation)
    if interpolate:
        images, rows_of = _interpolations(run, n or 8, steps, seed, label, linear, truncated)
        chunks = iter([as_images(images)])
    else:
        default = POINT_PREVIEW_SAMPLES if run.spec.data == "points" else 64
        chunks, rows_of = _samples(run, n or default, seed, label, truncated)
    first = next(chunks)
    if first.dim() == 2:  # points: one scatter plot of all of them, the data's true modes marked when known
        import torch

        modes = Mixture.of(run.record.get("data", {}).get("info"))
        first, chunks = as_images(torch.cat([first, *chunks]), modes), iter([])
    save_grid(first, output, nrow or rows_of)
    click.echo(f"Wrote {output}", err=True)
    if out_dir:
        written = len(save_each(first, out_dir))
        for chunk in chunks:
            written += len(save_each(chunk, out_dir, start=written))
        click.echo(f"Wrote {written} PNGs to {out_dir}", err=True)


def _check(run_dir: str, n: int | None, seed: int, interpolate: bool, steps: int, truncation: float | None,
           output: str | None, out_dir: str | None, nrow: int | None) -> tuple[str, dict]:
    """Everything checked before torch loads; returns the grid's path and the run's ``config.json``."""
    from pathlib import Path

    from gensynth._errors import GensynthError
    from gensynth._metadata.capabilities import check_truncation
    from gensynth._metadata.seeds import check_seed
    from gensynth._training.rundir import RunDir

    if n is not None and n < 1:
        raise GensynthError(f"-n must be at least 1, got {n}")
    check_seed(seed)
    if nrow is not None and nrow < 1:
        raise GensynthError(f"--nrow must be at least 1, got {nrow}")
    if truncation is not None:
        check_truncation(truncation)
    if interpolate:
        if steps < 2:
            raise GensynthError(f"--steps must be at least 2 (the two ends of each row), got {steps}")
        rows = n or 8
        if rows * steps > GRID_MAX:
            raise GensynthError(f"-n {rows} rows of --steps {steps} images make more than {GRID_MAX:,} images; "
                                f"use fewer rows or steps")
    elif (n or 64) > SAMPLES_MAX:
        raise GensynthError(f"-n is at most {SAMPLES_MAX:,} samples per command, got {n:,}; run several commands "
                            f"with different --seed values")
    elif (n or 64) > GRID_MAX and not out_dir:
        raise GensynthError(f"a grid holds at most {GRID_MAX:,} samples, got -n {n:,}; add --out-dir DIR to write "
                            f"them as separate PNGs (the grid then shows the first {GRID_MAX:,})")
    run = RunDir(run_dir)
    record = run.read_config()
    output = output or str(Path(run_dir) / "sample.png")
    run.check_output(output, f"-o {output}")
    if out_dir:
        run.check_output(Path(out_dir) / "sample.png", f"--out-dir {out_dir}")
    return output, record


def _truncation(run, psi: float | None) -> dict:
    """``{"truncation": psi}`` for the model's sampling methods, or ``{}`` without ``--truncation``."""
    from gensynth._metadata.capabilities import TRUNCATION

    if psi is None:
        return {}
    run.require(TRUNCATION, "--truncation")
    return {"truncation": psi}


def _samples(run, n: int, seed: int, label: int | None, truncated: dict):
    """``(chunks of samples, images per row or None)``: n samples, of one class with ``label``, or one row per
    class from a conditional model (``ceil(n / classes)`` each). The first chunk is what one call with ``seed``
    gives; chunk ``i`` after it uses seed ``derived_seed(seed, i)``."""
    import torch

    from gensynth._metadata.capabilities import CONDITIONAL
    from gensynth._metadata.seeds import derived_seed

    labels, per_row = None, None
    if label is not None:
        labels = run.class_labels(label, n)
    elif run.has(CONDITIONAL):
        per_row = -(-n // run.model.num_classes)
        labels = torch.arange(run.model.num_classes).repeat_interleave(per_row)
    total = n if labels is None else len(labels)

    def chunks():
        for index, begin in enumerate(range(0, total, GRID_MAX)):
            size = min(GRID_MAX, total - begin)
            chunk_seed = seed if index == 0 else derived_seed(seed, index)
            kwargs = {} if labels is None else {"labels": labels[begin:begin + size]}
            yield run.model.sample(size, seed=chunk_seed, **kwargs, **truncated)

    return chunks(), per_row


def _interpolations(run, rows: int, steps: int, seed: int, label: int | None, linear: bool, truncated: dict):
    """``(images, steps)``: one row per pair of seeded codes; a conditional model keeps ``label``,
    or gives row ``i`` class ``i mod classes``."""
    import torch

    from gensynth._metadata.capabilities import CONDITIONAL, LATENT
    from gensynth._models.interpolation import latent_interpolations

    run.require(LATENT, "--interpolate")
    kwargs = {}
    if label is not None:
        kwargs["labels"] = run.class_labels(label, rows * steps)
    elif run.has(CONDITIONAL):
        kwargs["labels"] = (torch.arange(rows) % run.model.num_classes).repeat_interleave(steps)
    return latent_interpolations(run.model, rows, steps, seed, spherical=not linear, latents=truncated, **kwargs), steps
