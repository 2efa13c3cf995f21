"""``gensynth sample``."""

from __future__ import annotations

import click


@click.command()
@click.argument("run_dir", type=click.Path())
@click.option("-n", "--num", "n", type=int, default=64, show_default=True, help="Number of samples.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Grid PNG [default: RUN_DIR/sample.png].")
@click.option("--out-dir", type=click.Path(file_okay=False), help="Also write each sample as its own PNG here.")
@click.option("--nrow", type=int, help="Images per grid row.")
@click.option("--device", default="cpu", show_default=True)
def sample(run_dir, n, seed, output, out_dir, nrow, device) -> None:
    """Generate N samples from a trained RUN_DIR into a grid PNG."""
    from gensynth import api
    from gensynth.errors import GensynthError
    from gensynth.images import as_images, save_each, save_grid
    from gensynth.runtime import select_device

    if n < 1:
        raise GensynthError("-n must be at least 1")
    model = api.load_run(run_dir, select_device(device))
    images = as_images(model.sample(n, seed=seed))
    output = output or f"{run_dir}/sample.png"
    save_grid(images, output, nrow)
    click.echo(f"Wrote {output}", err=True)
    if out_dir:
        paths = save_each(images, out_dir)
        click.echo(f"Wrote {len(paths)} PNGs to {out_dir}", err=True)
