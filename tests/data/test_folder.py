"""Image folders: a class-per-folder tree written from generated images."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import fitbench as fb
from fitbench.data._folder import load_folder
from fitbench.errors import ConfigError, DataError

CLASSES = ("circle", "cross", "square")


def _digit_like(rng: np.random.Generator, label: int, size: int = 12) -> np.ndarray:
    image = rng.integers(0, 40, (size, size)).astype(np.uint8)
    image[:, label * 4:label * 4 + 4] = 250  # a bright band whose place is the class
    return image


def write_tree(root: Path, per_class: int = 6, *, seed: int = 0) -> Path:
    """Grayscale 12x12 PNGs, plus one corrupt file, one RGBA image and one 20x16 image."""
    rng = np.random.default_rng(seed)
    for label, name in enumerate(CLASSES):
        folder = root / name
        folder.mkdir(parents=True)
        for k in range(per_class):
            Image.fromarray(_digit_like(rng, label)).save(folder / f"{k}.png")
    (root / "cross" / "broken.png").write_bytes(b"\x89PNG not really")
    rgba = np.dstack([np.repeat(_digit_like(rng, 0)[..., None], 3, axis=-1), np.full((12, 12), 255, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(root / "circle" / "rgba.png")
    Image.fromarray(rng.integers(0, 255, (20, 16)).astype(np.uint8)).save(root / "square" / "odd.bmp")
    (root / "square" / "notes.txt").write_text("not an image: ignored")
    return root


def test_tree_loads_with_counts_and_one_warning(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "shapes")
    with pytest.warns(UserWarning, match=r"skipped 1 unreadable image file\(s\).*cross/broken.png") as caught:
        data = fb.load_dataset("folder", path=root, cache_dir=tmp_path / "cache", val_size=0.25, test_size=0.25)
    assert len([w for w in caught if "unreadable" in str(w.message)]) == 1
    assert data.class_names == CLASSES and data.num_classes == 3
    assert sum(data.sizes().values()) == 3 * 6 + 2  # the RGBA and odd-size images are kept
    assert data.input_shape == (12, 12)  # the most common size, grayscale
    assert data.x_train.max() <= 1.0
    assert "1 resized" in data.source and "1 converted to grayscale" in data.source
    assert data.config.image_size == [12, 12] and data.config.color_mode == "grayscale"
    assert data.config.class_names == list(CLASSES)


def test_strict_refuses_the_unreadable_file(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "shapes")
    with pytest.raises(DataError, match="1 image file.*cannot be read.*broken.png"):
        fb.load_dataset("folder", path=root, cache_dir=tmp_path / "cache", strict=True)


def test_second_load_reads_the_cache_and_a_change_invalidates_it(tmp_path: Path) -> None:
    root, cache = write_tree(tmp_path / "shapes"), tmp_path / "cache"
    with pytest.warns(UserWarning):
        first = load_folder(root, cache_dir=cache)
    assert len(list(cache.glob("folder-*.npz"))) == 1
    with pytest.warns(UserWarning, match="broken.png"):  # the skipped files are still reported
        again = load_folder(root, cache_dir=cache)
    assert np.array_equal(first.x_train, again.x_train) and again.resized == first.resized == 1
    (root / "cross" / "broken.png").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fixed = load_folder(root, cache_dir=cache)
    assert len(fixed.skipped) == 0 and len(fixed.y_train) == len(first.y_train)
    assert len(list(cache.glob("folder-*.npz"))) == 1  # the stale file list's cache is gone


def test_declared_size_and_colour(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "shapes")
    with pytest.warns(UserWarning):
        data = load_folder(root, image_size=(8, 10), color_mode="rgb", cache_dir=tmp_path / "cache")
    assert data.x_train.shape[1:] == (8, 10, 3) and data.x_train.dtype == np.uint8
    assert data.resized == 3 * 6 + 2 and data.color_mode == "rgb"


def test_train_and_test_folders(tmp_path: Path) -> None:
    write_tree(tmp_path / "set" / "train", per_class=8)
    write_tree(tmp_path / "set" / "test", per_class=2, seed=1)
    with pytest.warns(UserWarning):
        data = fb.load_dataset("folder", path=tmp_path / "set", cache_dir=tmp_path / "cache", val_size=4)
    assert data.sizes() == {"train": 3 * 8 + 2 - 4, "val": 4, "test": 3 * 2 + 2}
    assert "(train/ and test/)" in data.source


@pytest.mark.parametrize("classes", [(), ("only",)])
def test_fewer_than_two_classes_is_an_error(tmp_path: Path, classes: tuple[str, ...]) -> None:
    for name in classes:
        (tmp_path / name).mkdir()
        Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / name / "a.png")
    with pytest.raises(DataError, match="at least two classes"):
        load_folder(tmp_path, cache_dir=tmp_path / "cache")


def test_no_images_is_an_error(tmp_path: Path) -> None:
    for name in CLASSES:
        (tmp_path / name).mkdir()
    with pytest.raises(DataError, match="no images"):
        load_folder(tmp_path, cache_dir=tmp_path / "cache")


def test_config_keys_are_checked() -> None:
    with pytest.raises(ConfigError, match="needs dataset.path"):
        fb.load_dataset("folder")
    with pytest.raises(ConfigError, match="image_size applies to name: folder"):
        fb.load_dataset("mnist", image_size=[28, 28])


def test_dataset_option_names_a_folder_or_a_csv(tmp_path: Path) -> None:
    from fitbench.config._load import switch_dataset

    document = {"dataset": {"name": "mnist", "data_dir": "x", "val_size": 0.1}}
    assert switch_dataset(document, f"folder:{tmp_path}")["dataset"] == {"name": "folder", "path": str(tmp_path),
                                                                        "val_size": 0.1}
    assert switch_dataset(document, "csv:train.csv")["dataset"]["path"] == "train.csv"
    with pytest.raises(ConfigError, match="dataset='foldr:x': expected one of .*did you mean 'folder'"):
        switch_dataset(document, "foldr:x")
    with pytest.raises(ConfigError, match="only idx:, folder: and csv: take a path"):
        switch_dataset(document, "digits:x")


def test_oversized_image_is_unreadable_not_decoded(tmp_path: Path) -> None:
    from fitbench.data._folder import decode_image

    Image.new("L", (4097, 4096)).save(tmp_path / "huge.png")
    found = decode_image(str(tmp_path / "huge.png"))
    assert found.pixels is None and "4097x4096 pixels, more than fitbench reads" in found.mode


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".gif", ".tif", ".jpg"])
def test_every_format_decodes_to_the_same_pixels(tmp_path: Path, suffix: str) -> None:
    from fitbench.data._folder import decode_image

    image = _digit_like(np.random.default_rng(1), 1)
    Image.fromarray(image).save(tmp_path / f"a{suffix}")
    found = decode_image(str(tmp_path / f"a{suffix}"))
    assert found.pixels is not None and found.pixels.shape == (12, 12)  # grey stays grey (GIF: a grey palette)
    tolerance = 40 if suffix == ".jpg" else 0  # JPEG is lossy
    assert np.abs(found.pixels.astype(int) - image).max() <= tolerance


def test_reports_name_the_classes_a_run_recorded() -> None:
    from fitbench.report import class_names

    config = {"dataset": {"name": "folder", "class_names": list(CLASSES)}}
    assert class_names(config, 3) == list(CLASSES)
    assert class_names({"dataset": {"name": "fashion_mnist"}}, 2) == ["T-shirt/top", "Trouser"]
    assert class_names({"dataset": {"name": "folder", "class_names": ["a"]}}, 2) == ["0", "1"]  # damaged: numbers
