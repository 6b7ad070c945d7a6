"""Images in a CSV file, the layout of Kaggle's digit recognizer.

    label,pixel0,pixel1,...,pixel783        train.csv: a label, then one column per pixel
    pixel0,pixel1,...,pixel783              test.csv: no label, for prediction only

Pixels are whole numbers 0..255, row by row of a square image (784 columns: 28x28).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import warnings
from pathlib import Path
from typing import NamedTuple, TextIO

import numpy as np

from fitbench.data._open import open_data_file
from fitbench.errors import DataError

__all__ = ["CsvImages", "read_csv_images"]

# Kaggle's train.csv is 73 MB; seven times that is surely not images. Cells are read as int32:
# 512 MB of "0," is 256 M cells, 1 GB in memory.
MAX_BYTES = 512 * 1024**2
MAX_HEADER = 4 * 1024**2  # characters: pixel0..pixelN of a 600x600 image
WHAT = "CSV file of images"


class CsvImages(NamedTuple):
    x: np.ndarray  # (n, side, side) uint8
    y: np.ndarray | None  # (n,) int64 labels; None: the file has no label column


def read_csv_images(path: str | os.PathLike[str]) -> CsvImages:
    """The images (and labels, when the file has a ``label`` column) of a Kaggle-layout CSV.

    The path may come from a run folder's config: it must be a regular file under ``MAX_BYTES``,
    and no error quotes what the file holds (``csv:/etc/passwd`` must not print its first line).

    Raises:
        DataError: a missing, special or oversized file, another header, a cell that is not a
            whole number 0..255, or a pixel count that is not a square.
    """
    path = Path(path)
    with open_data_file(path, MAX_BYTES, what=WHAT) as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        header = _header(path, text)
        labelled = header[0] == "label"
        pixels = header[1:] if labelled else header
        _check_pixel_columns(path, pixels, labelled)
        side = math.isqrt(len(pixels))
        if side * side != len(pixels):
            raise DataError(f"{path}: {len(pixels)} pixel columns is not a square image (e.g. 784 = 28x28)")
        values = _numbers(path, text, len(header))
    if values.size and (values.min() < 0 or values[:, int(labelled):].max() > 255):
        raise DataError(f"{path}: pixels must be whole numbers 0..255 and labels >= 0")
    x = values[:, int(labelled):].astype(np.uint8).reshape(-1, side, side)
    return CsvImages(x, values[:, 0].astype(np.int64) if labelled else None)


def _header(path: Path, text: TextIO) -> list[str]:
    try:
        line = text.readline(MAX_HEADER)
        header = next(csv.reader([line]), [])
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"{path}: cannot read it as a UTF-8 CSV file ({_reason(error)})") from None
    if len(line) == MAX_HEADER and not line.endswith("\n"):
        raise DataError(f"{path}: the header line is longer than {MAX_HEADER:,} characters; "
                        "expected label,pixel0,...,pixelN")
    if not header:
        raise DataError(f"{path}: empty file; expected a header label,pixel0,...,pixelN and one row per image")
    return [column.strip() for column in header]


def _check_pixel_columns(path: Path, pixels: list[str], labelled: bool) -> None:
    """Name the first wrong column by its place and what belongs there, never by what it says."""
    wrong = next((k for k, name in enumerate(pixels) if name != f"pixel{k}"), None)
    if not pixels or wrong is not None:
        place = (wrong or 0) + int(labelled) + 1
        raise DataError(f"{path}: the header must be label (optional), then pixel0..pixelN in order; "
                        f"column {place} is not pixel{wrong or 0}")


def _numbers(path: Path, text: TextIO, columns: int) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # numpy's "Empty input file": reported below
            values = np.loadtxt(text, delimiter=",", dtype=np.int32, ndmin=2)
    except (ValueError, OverflowError) as error:
        raise DataError(f"{path}: {_where(str(error))}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot read it as a UTF-8 CSV file ({_reason(error)})") from None
    if values.shape[0] == 0:
        raise DataError(f"{path}: no rows after the header; expected one row per image")
    if values.shape[1] != columns:
        raise DataError(f"{path}: rows have {values.shape[1]} cells but the header has {columns} columns")
    return values


def _where(numpy_message: str) -> str:
    """Where numpy's message says the bad cell is, without the cell (it may be a secret)."""
    # numpy counts the non-empty rows after the header: from 0 for a bad cell, from 1 for a short row
    found = re.search(r"at row (\d+), column (\d+)", numpy_message)
    if found:
        return (f"expected whole numbers in every cell; row {int(found[1]) + 1} after the header, "
                f"column {found[2]} is not one")
    found = re.search(r"from (\d+) to (\d+) at row (\d+)", numpy_message)
    if found:
        return (f"every row must have as many cells as the first; row {found[3]} after the header has "
                f"{found[2]}, not {found[1]}")
    return "expected whole numbers in every cell"


def _reason(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "it is not UTF-8 text"
    if isinstance(error, OSError):
        return error.strerror or type(error).__name__
    return type(error).__name__  # csv.Error: a field over csv's size limit and the like
