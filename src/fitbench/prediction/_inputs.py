"""New inputs for a trained model: image files, folders of images, Kaggle-layout CSV files."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from fitbench.data._csv import read_csv_images
from fitbench.data._folder import EXTENSIONS, decode_image, fit_image, image_files
from fitbench.errors import DataError

__all__ = ["Inputs", "read_inputs"]

_SHOWN = 10


class Inputs(NamedTuple):
    names: list[str]  # one per image: the file, a folder's file, or "FILE.csv:ROW" (1-based)
    pixels: np.ndarray  # (n, h, w) grayscale or (n, h, w, 3) rgb, uint8 0..255


def read_inputs(paths: Sequence[str | os.PathLike[str]], *, size: tuple[int, int], color_mode: str) -> Inputs:
    """Every image the paths name, in order, converted to ``color_mode`` and resized to ``size``.

    Unreadable image files are listed in one warning and skipped.

    Raises:
        DataError: a path that does not exist or is no image, folder or CSV; no images at all.
    """
    names: list[str] = []
    images: list[np.ndarray] = []
    skipped: list[str] = []
    for given in paths:
        for name, pixels in _images_of(Path(given), skipped):
            names.append(name)
            images.append(fit_image(pixels, size, color_mode))
    if skipped:
        shown = "; ".join(skipped[:_SHOWN]) + (f"; and {len(skipped) - _SHOWN} more" if len(skipped) > _SHOWN else "")
        warnings.warn(f"fitbench: skipped {len(skipped)} unreadable image file(s): {shown}", stacklevel=2)
    if not images:
        raise DataError(f"no images to predict in {', '.join(str(p) for p in paths)}; give image files "
                        f"({', '.join(sorted(EXTENSIONS))}), folders of them, or a CSV file")
    return Inputs(names, np.stack(images))


def _images_of(path: Path, skipped: list[str]) -> list[tuple[str, np.ndarray]]:
    if path.is_dir():
        return [pair for entry in image_files(path) for pair in _decoded(Path(entry.path), skipped)]
    if not path.is_file():
        raise DataError(f"{path}: no such file or folder; give image files, folders of images, or a CSV file")
    if path.suffix.lower() == ".csv":
        return [(f"{path}:{row}", image) for row, image in enumerate(read_csv_images(path).x, start=1)]
    if path.suffix.lower() not in EXTENSIONS:
        raise DataError(f"{path}: not an image ({', '.join(sorted(EXTENSIONS))}), folder or .csv file")
    return _decoded(path, skipped)


def _decoded(path: Path, skipped: list[str]) -> list[tuple[str, np.ndarray]]:
    found = decode_image(str(path))
    if found.pixels is None:
        skipped.append(f"{path}: {found.mode}")
        return []
    return [(str(path), found.pixels)]
