"""The MNIST split the image benchmarks share: the first 8,000 test-set images to train, the last 2,000 held out."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_FOLDER = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "mnist"


def add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=str(DEFAULT_FOLDER),
                        help="folder with the MNIST IDX files (t10k-images-idx3-ubyte.gz, ...)")


def mnist_splits(folder: str) -> tuple[str, str]:
    """``(training spec, held-out spec)`` for the MNIST files in ``folder``; exits with a clear line when it is missing."""
    if not Path(folder).is_dir():
        raise SystemExit(f"no folder {folder}: pass --data with the folder that holds the MNIST IDX files")
    return f"mnist:{folder}@:8000", f"mnist:{folder}@8000:"
