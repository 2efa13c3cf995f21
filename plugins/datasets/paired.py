"""``paired:PATH``: aligned image pairs for paired translation (pix2pix), in either layout the reference uses.

* **Side by side** (the reference's pix2pix datasets: facades, maps, edges2shoes, ...,
  and what its ``datasets/combine_A_and_B.py`` writes): every image holds A on its
  left half and B on its right half, in ``PATH/train/`` (or directly under PATH).
  Its width must be even.
* **Two folders**: ``PATH/A/`` and ``PATH/B/`` (with ``train/`` inside both, when
  both have one: the layout ``combine_A_and_B.py`` reads), searched recursively;
  images pair up by their path relative to the folder without the suffix
  (``A/x/1.png`` with ``B/x/1.jpg``), and the two images of a pair must have the
  same size.

The source holds the data domains ``a`` and ``b``, paired: sample ``i`` of a belongs
with sample ``i`` of b (pairs sorted by name), so ``paired:PATH@:100`` selects the
same 100 pairs in both. Labels come from class sub-folders as with ``folder:``.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from gensynth import (
    DataRequest, GensynthError, StreamingImages, TensorData, existing_folder, images_from_files, list_images,
    native_format, open_image,
)
from gensynth.plugins.datasets.folder import class_labels

LAYOUT = "A|B images side by side (in train/ or at the top) or the folders A/ and B/ with matching file names"
#: How many unmatched names an error lists.
SHOWN = 3


def load(argument: str, request: DataRequest, *, download: bool = False) -> TensorData | StreamingImages:
    """Domain ``request.domain`` (``"a"`` or ``"b"``) of the pairs under PATH."""
    root = existing_folder(argument, LAYOUT)
    index = 0 if request.domain in (None, "a") else 1
    if (root / "A").is_dir() and (root / "B").is_dir():
        folders = [root / "A", root / "B"]
        if all((folder / "train").is_dir() for folder in folders):
            folders = [folder / "train" for folder in folders]
        files, panel = matched_files(*folders)[index], None
        labelled = folders[index]
    else:
        labelled = root / "train" if (root / "train").is_dir() else root
        files, panel = side_by_side_files(labelled), (index, 2)
    labels, classes = class_labels(labelled, files, required=request.labels)
    channels, size = request.channels, request.image_size
    if channels is None or size is None:
        native_channels, native_size = native_format(open_image(files[0]))
        if panel is not None:
            native_size = min(native_size, image_size(files[0])[0] // 2)
        channels, size = channels or native_channels, size or native_size
    return images_from_files(files, channels, size, labels, len(classes) if labels is not None else None, panel)


def side_by_side_files(folder: Path) -> list[Path]:
    """The images under ``folder``; a GensynthError naming one whose width is odd."""
    files = list_images(folder)
    for path in files:
        width, height = image_size(path)
        if width % 2:
            raise GensynthError(f"{path} is {width}x{height}: a side-by-side pair holds A and B as two halves, so its "
                                f"width must be even; crop or pad it, or give the folders A/ and B/ instead")
    return files


def matched_files(folder_a: Path, folder_b: Path) -> tuple[list[Path], list[Path]]:
    """The images of both folders paired by name, in the same order; a GensynthError for an unmatched
    name, two images of one name, or a pair whose sizes differ."""
    named = [by_name(folder) for folder in (folder_a, folder_b)]
    for (folder, names), (other, other_names) in ((named[0], named[1]), (named[1], named[0])):
        alone = sorted(set(names) - set(other_names))
        if alone:
            shown = ", ".join(str(names[name].relative_to(folder)) for name in alone[:SHOWN])
            more = f" and {len(alone) - SHOWN} more" if len(alone) > SHOWN else ""
            raise GensynthError(f"{len(alone)} images in {folder} have no namesake in {other} ({shown}{more}); "
                                f"every image needs a partner of the same name (any suffix) in the other folder")
    pairs = sorted(named[0][1])
    files_a, files_b = [named[0][1][name] for name in pairs], [named[1][1][name] for name in pairs]
    for path_a, path_b in zip(files_a, files_b):
        size_a, size_b = image_size(path_a), image_size(path_b)
        if size_a != size_b:
            raise GensynthError(f"{path_a} is {size_a[0]}x{size_a[1]} but its partner {path_b} is "
                                f"{size_b[0]}x{size_b[1]}; the two images of a pair must have the same size")
    return files_a, files_b


def by_name(folder: Path) -> tuple[Path, dict[str, Path]]:
    """``(folder, {relative path without suffix: file})``; a GensynthError when two files share a name."""
    found: dict[str, Path] = {}
    for path in list_images(folder):
        name = path.relative_to(folder).with_suffix("").as_posix()
        if name in found:
            raise GensynthError(f"{found[name]} and {path} have the same name, so both would pair with one image; "
                                f"keep one of them")
        found[name] = path
    return folder, found


def image_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` from the file's header (nothing decoded); a GensynthError naming an unreadable file."""
    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise GensynthError(f"cannot read image {path}: {exc}; fix or remove the file") from exc
