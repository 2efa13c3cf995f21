"""``gensynth translate``."""

from __future__ import annotations

import click


@click.command()
@click.argument("run_dir", type=click.Path())
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("--direction", metavar="a2b|b2a",
              help="Which way to translate: a2b (domain A to B) or b2a; the model names its directions. "
                   "May be left out when the model translates one way (pix2pix).")
@click.option("-o", "--out-dir", required=True, type=click.Path(file_okay=False),
              help="Folder for the translated PNGs (same relative names as the inputs).")
@click.option("--sheet", type=click.Path(dir_okay=False),
              help="Also write a contact sheet PNG here: the first 64 inputs | translated | reconstructed "
                   "(when the model translates back).")
@click.option("--batch-size", type=int, default=64, show_default=True, help="Images translated at once.")
@click.option("--device", default="cpu", show_default=True)
def translate(run_dir, inputs, direction, out_dir, sheet, batch_size, device) -> None:
    """Translate INPUTS (image files or folders, searched recursively) with a trained RUN_DIR.

    Each image is resized to the model's image size and written as one PNG in OUT_DIR.
    """
    from gensynth import api
    from gensynth._errors import GensynthError
    from gensynth._training.runtime import select_device

    if batch_size < 1:
        raise GensynthError(f"--batch-size must be at least 1, got {batch_size}")
    written = api.translate(run_dir, inputs, out_dir, direction=direction, device=select_device(device),
                            batch_size=batch_size, sheet=sheet)
    way = f" ({direction})" if direction else ""
    click.echo(f"Wrote {len(written)} translated PNG{'s' * (len(written) != 1)}{way} to {out_dir}"
               + (f" and a contact sheet to {sheet}" if sheet else ""), err=True)
