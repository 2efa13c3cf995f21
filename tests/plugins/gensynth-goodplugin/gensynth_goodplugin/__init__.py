"""A well-behaved third-party plugin that registers two models, a dataset and a loss (torch-free),
and notes how each training run ended."""

import dataclasses

from gensynth import DatasetSpec, LossSpec, ModelConfig, ModelSpec, field, hookimpl

GENSYNTH_API = ">=1,<2"


@dataclasses.dataclass
class TinyConfig(ModelConfig):
    hidden: int = field(32, help="hidden width")
    latent_dim: int = field(2, help="noise size")
    lr: float = field(1e-3, help="Adam learning rate")


@hookimpl
def register_models(register):
    for name, summary in (("tiny-points", "Tiny point GAN from a third-party plugin"),
                          ("slow-points", "Same model behind a module that imports slowly")):
        register(ModelSpec(name=name, family="gan", summary=summary, data="points",
                           target=f"gensynth_goodplugin.{'model' if name == 'tiny-points' else 'slow'}:TinyPointGAN",
                           config=TinyConfig))


@hookimpl
def register_datasets(register):
    register(DatasetSpec(name="line", summary="Points on a line segment", target="gensynth_goodplugin.model:line_data"))


@hookimpl
def register_losses(register):
    register(LossSpec(name="least-squares", family="gan", summary="LSGAN loss from a third-party plugin",
                      target="gensynth_goodplugin.losses:LeastSquares"))


@hookimpl
def on_run_end(run):
    """Written as plugins of an older API might: without the hook's ``status`` argument."""
    (run.dir / "good-plugin.txt").write_text(f"run ended at step {run.step}\n")
