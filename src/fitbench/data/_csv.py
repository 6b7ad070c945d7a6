"""Images in a CSV file, the layout of Kaggle's digit recognizer.

    label,pixel0,pixel1,...,pixel783        train.csv: a label, then one column per pixel
    pixel0,pixel1,...,pixel783              test.csv: no label, for prediction only

Pixels are whole numbers 0..255, row by row of a square image (784 columns: 28x28).
"""

from __future__ import annotations

import csv
import math
import os
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

from fitbench.errors import DataError

__all__ = ["CsvImages", "read_csv_images"]

MAX_BYTES = 2 * 1024**3  # Kaggle's train.csv is 73 MB; a file 30 times that is surely not images


class CsvImages(NamedTuple):
    x: np.ndarray  # (n, side, side) uint8
    y: np.ndarray | None  # (n,) int64 labels; None: the file has no label column


def read_csv_images(path: str | os.PathLike[str]) -> CsvImages:
    """The images (and labels, when the file has a ``label`` column) of a Kaggle-layout CSV.

    Raises:
        DataError: a missing or oversized file, another header, a cell that is not a whole
            number 0..255, or a pixel count that is not a square.
    """
    path = Path(path)
    header = _header(path)
    labelled = header[0] == "label"
    pixels = header[1:] if labelled else header
    expected = [f"pixel{k}" for k in range(len(pixels))]
    if pixels != expected or not pixels:
        raise DataError(f"{path}: the header must be label (optional), then pixel0..pixelN in order; "
                        f"got {_short(header)}")
    side = math.isqrt(len(pixels))
    if side * side != len(pixels):
        raise DataError(f"{path}: {len(pixels)} pixel columns is not a square image (e.g. 784 = 28x28)")
    values = _numbers(path, len(header))
    if values.size and (values.min() < 0 or values[:, int(labelled):].max() > 255):
        raise DataError(f"{path}: pixels must be whole numbers 0..255 and labels >= 0")
    x = values[:, int(labelled):].astype(np.uint8).reshape(-1, side, side)
    return CsvImages(x, values[:, 0] if labelled else None)


def _header(path: Path) -> list[str]:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise DataError(f"{path}: {path.stat().st_size / 1e9:.1f} GB is more than a CSV of images "
                            f"fitbench reads ({MAX_BYTES / 1e9:.1f} GB)")
        with path.open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"{path}: cannot read it as a CSV file ({error})") from None
    if not header:
        raise DataError(f"{path}: empty file; expected a header label,pixel0,...,pixelN and one row per image")
    return [column.strip() for column in header]


def _numbers(path: Path, columns: int) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # numpy's "Empty input file": reported below
            values = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2, encoding="utf-8")
    except ValueError as error:  # numpy names the line and the bad value
        raise DataError(f"{path}: expected whole numbers in every cell: {str(error).splitlines()[0]}") from None
    if values.shape[0] == 0:
        raise DataError(f"{path}: no rows after the header; expected one row per image")
    if values.shape[1] != columns:
        raise DataError(f"{path}: rows have {values.shape[1]} cells but the header has {columns} columns")
    return values


def _short(header: list[str]) -> str:
    return ",".join(header[:4]) + (",..." if len(header) > 4 else "")
