"""``gensynth train``."""

from __future__ import annotations

import click

from gensynth.cli.options import threads_option


@click.command()
@click.argument("model")
@click.option("--data", "data_spec", metavar="SPEC",
              help="digits, mnist:PATH, folder:PATH, torchvision:NAME:ROOT, ring8, grid25, unpaired:PATH, "
              "paired:PATH, edges:SPEC, join:[SPEC]+[SPEC], or a plugin's; SPEC@START:END takes a part.")
@click.option("--data-a", "data_a", metavar="SPEC", help="Domain A of a model that learns between domains (cyclegan).")
@click.option("--data-b", "data_b", metavar="SPEC", help="Domain B of a model that learns between domains.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Model config fields from a JSON or TOML file.")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE", help="Set one model config field (repeatable).")
@click.option("--steps", type=int, help="Number of training iterations.")
@click.option("--epochs", type=int, help="Number of passes over the data (instead of --steps).")
@click.option("--recipe", metavar="NAME", help="A named preset of the model (see `gensynth info MODEL`) [default: the model's default recipe].")
@click.option("--batch-size", type=int,
              help="Examples per step, over all processes under torchrun [default: the recipe's, else 64].")
@click.option("--out", "out", type=click.Path(file_okay=False),
              help="Run directory [default: a new runs/<model>-<n>; needed with --resume].")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its latest checkpoint.")
@click.option("--allow-world-size-change", is_flag=True,
              help="With --resume: continue a run checkpointed by another number of processes (not bit-exact).")
@click.option("--extend", is_flag=True,
              help="With --resume: train past the steps the run's learning-rate schedules were planned for, "
                   "re-planning them over the new --steps.")
@click.option("--seed", type=int, help="Seed of the weights, data order and random choices [default: 0; on --resume, the run's].")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")
@click.option("--precision", type=click.Choice(["fp32", "bf16", "fp16"]), default="fp32", show_default=True)
@click.option("--sample-every", type=int, default=500, show_default=True,
              help="Write a sample grid every N steps and at the last (0: at the last only).")
@click.option("--checkpoint-every", type=int, default=500, show_default=True,
              help="Save a checkpoint every N steps and at the last (0: at the last only; Ctrl-C also saves).")
@click.option("--keep-checkpoints", type=int, default=3, show_default=True,
              help="Keep the newest K checkpoints (0: keep every one).")
@click.option("--log-every", type=int, default=50, show_default=True, help="Log losses every N steps.")
@click.option("--download", is_flag=True, help="Allow torchvision datasets to download (never by default).")
@click.option("--quiet", is_flag=True, help="Print no progress and no evaluation results (errors and the last line only).")
@threads_option(resumable=True)
@click.option("--eval-every", type=int, default=0, show_default=True,
              help="Evaluate --eval-metrics every N steps and at the last (0: at the last only); figures go to "
                   "TensorBoard (eval/...) and RUN_DIR/eval/.")
@click.option("--eval-metrics", default="", metavar="LIST", callback=lambda ctx, param, value: tuple(
    name.strip() for name in value.split(",") if name.strip()), help="Metrics of --eval-every, e.g. mode_coverage or fid,kid.")
@click.option("--eval-reference", default="", metavar="SPEC", help="Data the evaluation compares with [default: --data].")
@click.option("--eval-samples", type=int, default=0, help="Generated samples per evaluation [default: each metric's].")
def train(model, data_spec, data_a, data_b, config_file, assignments, recipe, steps, epochs, batch_size, out, resume,
          allow_world_size_change, extend, seed, device, precision, sample_every, checkpoint_every, keep_checkpoints,
          log_every, download, quiet, threads, **options) -> None:
    """Train MODEL on --data SPEC (or --data-a SPEC --data-b SPEC); writes a self-describing run directory.

    Data-parallel on several processes or machines: torchrun --nproc-per-node N -m gensynth train ...
    (--batch-size is then the global batch; see docs/distributed.md). Arguments are checked before
    torch loads, so a mistake is reported at once."""
    from gensynth import api  # torch-free until the run starts
    from gensynth._metadata.config import parse_assignments
    from gensynth._errors import GensynthError

    if steps is None and epochs is None:
        raise GensynthError("give --steps N or --epochs N")
    data = _data_specs(data_spec, data_a, data_b)
    values = api.read_config_file(config_file) if config_file else {}
    values.update(parse_assignments(assignments))
    given = {"batch_size": batch_size, "seed": seed}  # left out when not given: the recipe's, or on --resume the run's
    options.update({name: value for name, value in given.items() if value is not None})
    ctx = api.train(
        model, data, out, steps=steps, epochs=epochs, config=values, recipe=recipe, resume=resume, extend=extend,
        allow_world_size_change=allow_world_size_change, download=download,
        progress="none" if quiet else "auto", threads=threads, device=device, precision=precision,
        sample_every=sample_every, checkpoint_every=checkpoint_every, keep_checkpoints=keep_checkpoints,
        log_every=log_every, **options,
    )
    if not ctx.runtime.is_main:
        return
    out = ctx.dir
    click.echo(f"Trained {ctx.model_id} to step {ctx.step} in {out} (samples in {out}/samples, "
               f"TensorBoard: tensorboard --logdir {out})", err=True)


def _data_specs(data_spec: str | None, data_a: str | None, data_b: str | None) -> str | dict[str, str]:
    """``--data SPEC`` as the spec, ``--data-a/--data-b`` as ``{"a": SPEC, "b": SPEC}``."""
    from gensynth._errors import GensynthError

    domains = {name: spec for name, spec in (("a", data_a), ("b", data_b)) if spec}
    if data_spec and domains:
        raise GensynthError("give --data SPEC, or --data-a SPEC and --data-b SPEC, not both")
    if data_spec:
        return data_spec
    if not domains:
        raise GensynthError("give --data SPEC (or --data-a SPEC --data-b SPEC for a model that learns between domains)")
    return domains
