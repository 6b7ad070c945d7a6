"""CSV files in the Kaggle digit-recognizer layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fitbench as fb
from fitbench.data._csv import read_csv_images
from fitbench.errors import DataError


def write_kaggle_csv(path: Path, count: int = 40, *, side: int = 4, labelled: bool = True, seed: int = 0) -> Path:
    """``label,pixel0..pixelN`` rows of random square images, labels 0..4 (``labelled=False``: test.csv)."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (count, side * side))
    labels = np.arange(count) % 5
    columns = [f"pixel{k}" for k in range(side * side)]
    rows = np.column_stack([labels, pixels]) if labelled else pixels
    header = ",".join((["label"] if labelled else []) + columns)
    np.savetxt(path, rows, fmt="%d", delimiter=",", header=header, comments="")
    return path


def test_kaggle_train_csv_loads(tmp_path: Path) -> None:
    path = write_kaggle_csv(tmp_path / "train.csv")
    data = fb.load_dataset("csv", path=path, val_size=0.25, test_size=0.2)
    assert data.input_shape == (4, 4) and data.num_classes == 5
    assert data.sizes() == {"train": 24, "val": 8, "test": 8}
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    images = read_csv_images(path)
    assert images.x.shape == (40, 4, 4) and images.y is not None and list(images.y[:6]) == [0, 1, 2, 3, 4, 0]


def test_unlabeled_csv_is_for_prediction_only(tmp_path: Path) -> None:
    path = write_kaggle_csv(tmp_path / "test.csv", labelled=False)
    assert read_csv_images(path).y is None
    with pytest.raises(DataError, match="no label column.*fitbench predict"):
        fb.load_dataset("csv", path=path)


@pytest.mark.parametrize(("text", "message"), [
    ("label,pixel0,pixel1,pixel2\n1,2,3,4\n", "not a square"),
    ("label,pix0\n1,2\n", "header must be"),
    ("label,pixel0,pixel1,pixel2,pixel3\n1,2,3,4,x\n", "whole numbers"),
    ("label,pixel0,pixel1,pixel2,pixel3\n1,2,3,4,300\n", "0..255"),
    ("label,pixel0,pixel1,pixel2,pixel3\n", "no rows"),
    ("", "empty file"),
])
def test_bad_csv_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        read_csv_images(path)
