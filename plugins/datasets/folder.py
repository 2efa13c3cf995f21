"""``folder:PATH``: every image file under a folder, searched recursively.

When every image sits in a first-level sub-folder (``PATH/cat/1.png``,
``PATH/dog/x/2.jpg``), the sorted sub-folder names are the classes 0, 1, ...
Hidden files and folders (names starting with ``.``) are skipped. Without a
requested size or channel count, the first image (in sorted order) sets them:
its shorter side, and 1 channel when it is grey, else 3.
"""

from __future__ import annotations

from pathlib import Path

from gensynth import (
    DataRequest, GensynthError, StreamingImages, TensorData, existing_folder, images_from_files, list_images,
    native_format, open_image,
)


def load(argument: str, request: DataRequest, *, download: bool = False) -> TensorData | StreamingImages:
    """The images under folder ``argument``, in memory when small, streamed otherwise."""
    root = existing_folder(argument, "the images")
    files = list_images(root)
    labels, classes = class_labels(root, files, required=request.labels)
    channels, size = request.channels, request.image_size
    if channels is None or size is None:
        native_channels, native_size = native_format(open_image(files[0]))
        channels, size = channels or native_channels, size or native_size
    return images_from_files(files, channels, size, labels, len(classes) if labels is not None else None)


def class_labels(root: Path, files: list[Path], required: bool) -> tuple[list[int] | None, list[str]]:
    """Per-file class indices and the class names, or ``(None, [])`` when the layout has no classes."""
    relative = [path.relative_to(root).parts for path in files]
    folders = [parts[0] if len(parts) > 1 else None for parts in relative]
    at_top = folders.count(None)
    if at_top == 0:
        classes = sorted(set(folders))
        index = {name: i for i, name in enumerate(classes)}
        return [index[name] for name in folders], classes
    if required and at_top == len(files):
        raise GensynthError(f"{root} has no class sub-folders, so no labels: put each class's images in "
                            f"its own sub-folder ({root}/CLASS/...)")
    if required:
        raise GensynthError(f"{root} has {at_top} images at its top level and {len(files) - at_top} in sub-folders; "
                            f"for labels, move every image into a class sub-folder")
    return None, []
