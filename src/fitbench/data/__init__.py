"""Data: MNIST, Fashion-MNIST, scikit-learn's digits, any IDX pair, image folders and Kaggle-layout
CSV files, split into train/val/test."""

from __future__ import annotations

import os

from fitbench.data._dataset import SPLITS, Dataset, load_dataset, load_from_config, source_files, source_positions
from fitbench.data._idx import read_idx, read_idx_pair, write_idx
from fitbench.data._sources import OFFICIAL, load_official, where
from fitbench.errors import DataError

__all__ = [
    "OFFICIAL",
    "SPLITS",
    "Dataset",
    "describe_datasets",
    "load_dataset",
    "load_from_config",
    "load_official",
    "read_idx",
    "read_idx_pair",
    "source_files",
    "source_positions",
    "write_idx",
]


def describe_datasets(data_dir: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """Each data set name and, in one line, where it would load from right now."""
    described = {}
    for name in OFFICIAL:
        try:
            described[name] = where(name, data_dir)
        except DataError as error:
            described[name] = f"unusable --data-dir: {error}"
    described["digits"] = "bundled with scikit-learn (1,797 8x8 images; no download)"
    described["idx"] = "any IDX image/label pair: dataset.images and dataset.labels in the experiment file"
    described["folder"] = "your images, one subfolder per class (optionally under train/ and test/): --dataset folder:DIR"
    described["csv"] = "a CSV file in Kaggle's digit-recognizer layout (label, pixel0..pixelN): --dataset csv:FILE"
    return described
