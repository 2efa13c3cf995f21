"""gensynth's built-in data sources, registered exactly as a third-party plugin registers its own.

This module is imported while listing, so it stays torch-free: each source lives
behind a lazy ``module:attr`` target in a submodule.
"""

from gensynth import DatasetSpec, hookimpl

GENSYNTH_API = ">=1.0,<2"


@hookimpl
def register_datasets(register):
    register(DatasetSpec(
        name="digits", target="gensynth.plugins.datasets.digits:load",
        summary="scikit-learn's bundled 8x8 UCI digits (1,797 images, 10 classes), resized; no download",
    ))
    register(DatasetSpec(
        name="mnist", argument="PATH", target="gensynth.plugins.datasets.mnist:load",
        summary="MNIST-format IDX files (train-*/t10k-*, .gz or raw) in folder PATH, with labels",
    ))
    register(DatasetSpec(
        name="folder", argument="PATH", target="gensynth.plugins.datasets.folder:load",
        summary="every image under PATH (recursive); one sub-folder per class gives labels",
    ))
    register(DatasetSpec(
        name="unpaired", argument="PATH", target="gensynth.plugins.datasets.unpaired:load", domains=("a", "b"),
        summary="two unpaired image domains for translation: PATH/trainA (domain a) and PATH/trainB (domain b)",
    ))
    register(DatasetSpec(
        name="paired", argument="PATH", target="gensynth.plugins.datasets.paired:load", domains=("a", "b"),
        paired=True, summary="aligned image pairs for pix2pix: A|B side by side (PATH/train) or PATH/A and PATH/B "
                             "with matching file names",
    ))
    register(DatasetSpec(
        name="edges", argument="SPEC", target="gensynth.plugins.datasets.edges:load", domains=("a", "b"),
        paired=True, summary="paired toy task made at load time: edge maps of SPEC's images (a) and the images (b), "
                             "e.g. edges:mnist:PATH",
    ))
    register(DatasetSpec(
        name="join", argument="[SPEC]+[SPEC]", target="gensynth.plugins.datasets.join:load",
        summary="several sources' samples together, each loaded in the model's format, e.g. "
                "join:[mnist:PATH@:8000]+[digits@:1400]",
    ))
    register(DatasetSpec(
        name="torchvision", argument="NAME:ROOT", target="gensynth.plugins.datasets.torchvision_datasets:load",
        summary="a torchvision dataset class (MNIST, FashionMNIST, CIFAR10, ...) stored under ROOT (train split)",
    ))
    register(DatasetSpec(
        name="ring8", target="gensynth.plugins.datasets.mixtures:load_ring8",
        summary="2-D points: 8 Gaussians on the unit circle, std 0.01 (VEEGAN/PacGAN)",
    ))
    register(DatasetSpec(
        name="grid25", target="gensynth.plugins.datasets.mixtures:load_grid25",
        summary="2-D points: 25 Gaussians on the grid {-4,-2,0,2,4}^2, std 0.05 (VEEGAN/PacGAN)",
    ))
