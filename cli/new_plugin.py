"""``gensynth new-plugin``: scaffold a plugin package from the templates in :mod:`gensynth._discovery.scaffold`."""

from __future__ import annotations

import click


@click.command("new-plugin")
@click.argument("name")
@click.option("--dir", "directory", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Folder in which the plugin's folder NAME is created.")
@click.option("--family", type=click.Choice(["gan", "vae", "other"]), default="gan", show_default=True,
              help="Which working model the package starts from (other: the VAE, under a family of your own).")
@click.option("--force", is_flag=True, help="Write into an existing folder, overwriting the template's files.")
def new_plugin(name: str, directory: str, family: str, force: bool) -> None:
    """Create a pip-installable plugin package NAME with a working model, tests, README and CI."""
    from pathlib import Path

    from gensynth._discovery.scaffold import FAMILIES, new_plugin as render

    written = render(name, directory, family, force)
    folder = Path(directory) / name
    model_id = f"{name}:{FAMILIES[family][1]}"
    click.echo(f"Created {folder} (distribution gensynth-{name}, model {model_id}):")
    for path in written:
        click.echo(f"  {path.relative_to(folder)}")
    click.echo(f"Next:\n  gensynth install -e {folder}\n  gensynth train {model_id} --data digits --steps 1500\n"
               f"  cd {folder} && pip install -e '.[test]' && pytest")
