"""New inputs for a trained model: image files, folders of images, Kaggle-layout CSV files,
each decoded and prepared as the run's ``Preparation`` says."""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from fitbench.data._csv import read_csv_images
from fitbench.data._folder import EXTENSIONS, image_files
from fitbench.errors import DataError, FitbenchWarning
from fitbench.prediction._decode import ImageProblem, decode_image
from fitbench.prediction._prepare import INVERTED, LEVELLED, prepare
from fitbench.runs._preparation import Preparation

__all__ = ["Inputs", "check_paths", "read_inputs", "say_changes"]

_SHOWN = 10
_SAID = {INVERTED: "had the other background than the training images (dark on light, or the reverse): "
                   "inverted them",
         LEVELLED: "had grey paper or low contrast: levelled them to the training images' background"}


class Inputs(NamedTuple):
    names: list[str]  # one per image: the file, a folder's file, or "FILE.csv:ROW" (1-based)
    pixels: np.ndarray  # (n, h, w) or (n, h, w, 3) float32, prepared (in the run's scale)
    changes: Counter[str]  # how many inputs each change of ``prepare`` was made to


def read_inputs(paths: Sequence[str | os.PathLike[str]], preparation: Preparation) -> Inputs:
    """Every image the paths name, in order, prepared for the run's model.

    Unreadable image files (and blank ones, for a digit run) are listed in one warning and skipped.

    Raises:
        DataError: a path that does not exist or is no image, folder or CSV; no images at all.
    """
    names: list[str] = []
    images: list[np.ndarray] = []
    changes: Counter[str] = Counter()
    skipped: list[str] = []
    for given in paths:
        for name, pixels in _images_of(Path(given)):
            try:
                prepared = prepare(decode_image(pixels) if isinstance(pixels, str) else pixels, preparation)
            except ImageProblem as problem:
                skipped.append(f"{name}: {problem}")
                continue
            names.append(name)
            images.append(prepared.pixels)
            changes.update(prepared.changes)
    _say_skipped(skipped, read=len(images))
    if not images:
        raise DataError(f"no images to predict in {', '.join(str(p) for p in paths)}; give image files "
                        f"({', '.join(sorted(EXTENSIONS))}), folders of them, or a CSV file")
    return Inputs(names, np.stack(images), changes)


def _say_skipped(skipped: list[str], read: int) -> None:
    """One warning listing the files that are no readable image, or, when no file was, the error:
    ``x.jpg: not an image (its bytes are text, ...)`` rather than a list of extensions to give."""
    if not skipped:
        return
    shown = "; ".join(skipped[:_SHOWN]) + (f"; and {len(skipped) - _SHOWN} more" if len(skipped) > _SHOWN else "")
    if read == 0:
        raise DataError(shown if len(skipped) == 1 else f"no image could be read: {shown}")
    warnings.warn(f"skipped {len(skipped)} unreadable image file(s): {shown}", FitbenchWarning, stacklevel=4)


def say_changes(changes: Counter[str], total: int) -> None:
    """One warning per kind of change made to the inputs (not one per input)."""
    for change, count in changes.items():
        warnings.warn(f"{count} of {total} input(s) {_SAID[change]}", FitbenchWarning, stacklevel=4)


def check_paths(paths: Sequence[str | os.PathLike[str]]) -> None:
    """Refuse, before anything is read (or Keras imported), a path that does not exist or is no
    image, folder or CSV file: DataError, one line."""
    for given in paths:
        _kind(Path(given))


def _kind(path: Path) -> str:
    """``folder``, ``csv`` or ``image``; DataError for anything else."""
    if path.is_dir():
        return "folder"
    if not path.is_file():
        raise DataError(f"{path}: no such file or folder; give image files, folders of images, or a CSV file")
    if path.suffix.lower() == ".csv":
        return "csv"
    if path.suffix.lower() not in EXTENSIONS:
        raise DataError(f"{path}: not an image ({', '.join(sorted(EXTENSIONS))}), folder or .csv file")
    return "image"


def _images_of(path: Path) -> Iterator[tuple[str, str | np.ndarray]]:
    """``(name, file path or pixels)`` of each image ``path`` names."""
    kind = _kind(path)
    if kind == "folder":
        yield from ((entry.path, entry.path) for entry in image_files(path))
    elif kind == "csv":
        for row, image in enumerate(read_csv_images(path).x, start=1):
            yield f"{path}:{row}", image.astype(np.float32)
    else:
        yield str(path), str(path)

