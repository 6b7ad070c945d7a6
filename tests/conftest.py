"""Shared fixtures: paths to the real MNIST test set, small data sets, a runs directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"
MNIST_IMAGES = SHARED_MNIST / "t10k-images-idx3-ubyte.gz"
MNIST_LABELS = SHARED_MNIST / "t10k-labels-idx1-ubyte.gz"


@pytest.fixture
def shared_mnist() -> tuple[Path, Path]:
    """The real MNIST test set (10,000 images) beside the repository, or a skip."""
    if not (MNIST_IMAGES.is_file() and MNIST_LABELS.is_file()):
        pytest.skip(f"real MNIST not found at {SHARED_MNIST} (a clone without ../shared); "
                    "the same code runs on digits in the other tests")
    return MNIST_IMAGES, MNIST_LABELS


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    return tmp_path / "runs"


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's digits, split 0.2 test / 0.2 val: real data, no download, trains in a second."""
    import fitbench as fb

    return fb.load_dataset("digits", seed=0)
