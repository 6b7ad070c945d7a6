"""Dataset splits: the course's exact split, three-way IDX splits, limits, scaling, labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

import fitbench as fb
from fitbench.data import write_idx
from fitbench.errors import ConfigError, DataError


def fake_official(folder: Path, n_train: int = 100, n_test: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Four IDX files shaped like MNIST's, in ``folder``; returns the training arrays."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, size=n_train).astype(np.uint8)
    write_idx(folder / "train-images-idx3-ubyte.gz", x)
    write_idx(folder / "train-labels-idx1-ubyte.gz", y)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8))
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", rng.integers(0, 10, size=n_test).astype(np.uint8))
    return x, y


def test_mnist_split_is_exactly_train_test_split(tmp_path: Path):
    x, y = fake_official(tmp_path)
    data = fb.load_dataset("mnist", data_dir=tmp_path, val_size=0.2, seed=42)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.2, random_state=42)
    np.testing.assert_array_equal(data.x_train, x_train.astype(np.float32) / 255)
    np.testing.assert_array_equal(data.x_val, x_val.astype(np.float32) / 255)
    np.testing.assert_array_equal(data.y_train, y_train)
    assert data.sizes() == {"train": 80, "val": 20, "test": 30}
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int32
    assert data.input_shape == (28, 28) and data.num_classes == 10 and data.config.name == "mnist"


def test_every_split_is_scaled_alike_or_none_is(tmp_path: Path):
    fake_official(tmp_path)
    scaled = fb.load_dataset("mnist", data_dir=tmp_path)
    raw = fb.load_dataset("mnist", data_dir=tmp_path, normalize=False)
    for split in ("train", "val", "test"):
        assert scaled.split(split)[0].max() <= 1.0
        assert raw.split(split)[0].max() > 1.0
        np.testing.assert_allclose(raw.split(split)[0] / 255, scaled.split(split)[0], rtol=1e-6)
    assert scaled.normalized and not raw.normalized and raw.pixel_max == 255


def test_limits_take_the_first_images(tmp_path: Path):
    fake_official(tmp_path)
    full = fb.load_dataset("mnist", data_dir=tmp_path)
    small = fb.load_dataset("mnist", data_dir=tmp_path, train_limit=10, val_limit=5)
    assert small.sizes() == {"train": 10, "val": 5, "test": 30}
    np.testing.assert_array_equal(small.x_train, full.x_train[:10])
    np.testing.assert_array_equal(small.y_val, full.y_val[:5])


def test_stratified_split_keeps_proportions():
    data = fb.load_dataset("digits", stratify=True, seed=1)
    train_share = np.bincount(data.y_train) / len(data.y_train)
    val_share = np.bincount(data.y_val) / len(data.y_val)
    assert np.abs(train_share - val_share).max() < 0.02


def test_digits_three_way_split_and_scale():
    data = fb.load_dataset("digits")
    assert sum(data.sizes().values()) == 1797
    assert data.sizes()["test"] == 360  # scikit-learn rounds the held-out part up
    assert data.input_shape == (8, 8) and data.pixel_max == 16
    assert data.x_train.max() == 1.0 and data.x_train.min() == 0.0


def test_idx_split_by_counts(tmp_path: Path):
    rng = np.random.default_rng(1)
    write_idx(tmp_path / "i.gz", rng.integers(0, 256, size=(50, 6, 6), dtype=np.uint8))
    write_idx(tmp_path / "l.gz", (np.arange(50) % 3).astype(np.uint8))
    data = fb.load_dataset("idx", images=tmp_path / "i.gz", labels=tmp_path / "l.gz",
                           train_size=20, val_size=10, test_size=15)
    assert data.sizes() == {"train": 20, "val": 10, "test": 15}
    assert data.num_classes == 3 and data.class_names == ("0", "1", "2")
    seen = np.concatenate([data.x_train, data.x_val, data.x_test]).reshape(45, -1)
    assert len(np.unique(seen, axis=0)) == 45  # no image in two splits


def test_idx_labels_outside_the_class_range(tmp_path: Path):
    write_idx(tmp_path / "i.gz", np.zeros((20, 4, 4), np.uint8))
    write_idx(tmp_path / "l.gz", np.array([0, 1, 7] * 6 + [0, 1], np.uint8))
    with pytest.raises(DataError, match=r"l.gz: labels must be integers in 0..4, got 6 outside that range \(e.g. 7\)"):
        fb.load_dataset("idx", images=tmp_path / "i.gz", labels=tmp_path / "l.gz", num_classes=5)


def test_train_size_larger_than_what_is_left(tmp_path: Path):
    write_idx(tmp_path / "i.gz", np.zeros((20, 4, 4), np.uint8))
    write_idx(tmp_path / "l.gz", np.zeros(20, np.uint8))
    with pytest.raises(ConfigError, match="dataset.train_size: expected at most 12 images"):
        fb.load_dataset("idx", images=tmp_path / "i.gz", labels=tmp_path / "l.gz", train_size=15, val_size=4, test_size=4)


def test_bad_option_is_a_config_error():
    with pytest.raises(ConfigError, match=r"load_dataset\(\): dataset.val_size: expected a fraction"):
        fb.load_dataset("digits", val_size=1.5)
    with pytest.raises(ConfigError, match="dataset.name: expected 'mnist', 'fashion_mnist', 'digits', 'idx', 'folder' or 'csv', got 'cifar'"):
        fb.load_dataset("cifar")


def test_from_arrays_checks_labels_and_shapes():
    x = np.zeros((4, 3, 3), np.float32)
    with pytest.raises(DataError, match="expected x of shape"):
        fb.Dataset.from_arrays((x, np.zeros(5)))
    with pytest.raises(DataError, match="labels must be integers in 0..1"):
        fb.Dataset.from_arrays((x, np.array([0, 1, 1, 0])), (x, np.array([0, 1, 2, 0])), num_classes=2)
    data = fb.Dataset.from_arrays((x, np.array([0, 1, 2, 1])))
    assert data.sizes() == {"train": 4, "val": 0, "test": 0} and data.num_classes == 3


def test_summary_shows_shapes_and_ranges():
    text = fb.load_dataset("digits").summary()
    assert "train x (" in text and "in [0, 1]" in text and "labels 0..9" in text


def test_real_mnist_split(shared_mnist):
    images, labels = shared_mnist
    data = fb.load_dataset("idx", images=images, labels=labels, train_size=6000, val_size=2000, test_size=2000)
    assert data.sizes() == {"train": 6000, "val": 2000, "test": 2000}
    assert data.x_train.shape == (6000, 28, 28) and 0.0 <= data.x_train.min() and data.x_train.max() == 1.0
