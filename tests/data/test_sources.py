from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from fitbench.data import _sources
from fitbench.data._idx import write_idx
from fitbench.data._sources import IDX_STEMS, OfficialArrays, load_official, where
from fitbench.errors import ConfigError, DataError, command_line

CLOSED_PORT = "http://127.0.0.1:9/"  # nothing listens: a download fails at once


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Every place the loader looks at, moved into tmp_path; downloads fail at once."""
    paths = {name: tmp_path / name for name in ("keras", "debian", "data")}
    monkeypatch.setenv("KERAS_HOME", str(paths["keras"]))
    monkeypatch.setattr(_sources, "DEBIAN_FASHION_DIR", paths["debian"])
    monkeypatch.setattr(_sources, "MNIST_ORIGIN", CLOSED_PORT)
    monkeypatch.setattr(_sources, "FASHION_ORIGIN", CLOSED_PORT)
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)  # a proxy would turn "refused" into a wait
    return paths


def _arrays(n_train: int = 6, n_test: int = 4) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def _write_idx_set(folder: Path, arrays: dict[str, np.ndarray], suffix: str = ".gz") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    keys = ("x_train", "y_train", "x_test", "y_test")  # the order of IDX_STEMS
    for stem, key in zip(IDX_STEMS, keys):
        write_idx(folder / f"{stem}{suffix}", arrays[key])


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)


def _assert_same(got: OfficialArrays, want: dict[str, np.ndarray]) -> None:
    for key, array in want.items():
        np.testing.assert_array_equal(getattr(got, key), array)
        assert getattr(got, key).dtype == np.uint8


@pytest.mark.parametrize("suffix", [".gz", ""])
def test_data_dir_with_idx_files(places: dict[str, Path], suffix: str) -> None:
    arrays = _arrays()
    _write_idx_set(places["data"], arrays, suffix)
    got = load_official("mnist", places["data"])
    _assert_same(got, arrays)
    assert str(places["data"]) in got.source
    assert where("mnist", places["data"]) == got.source


@pytest.mark.parametrize("filename", ["mnist.npz", "my-export.npz"])
def test_data_dir_with_npz(places: dict[str, Path], filename: str) -> None:
    arrays = _arrays()
    _write_npz(places["data"] / filename, arrays)
    got = load_official("mnist", places["data"])
    _assert_same(got, arrays)
    assert got.source == str(places["data"] / filename) == where("mnist", places["data"])


def test_data_dir_with_several_unnamed_npz_is_ambiguous(places: dict[str, Path]) -> None:
    _write_npz(places["data"] / "a.npz", _arrays())
    _write_npz(places["data"] / "b.npz", _arrays())
    with pytest.raises(DataError, match="a.npz, b.npz.*none named mnist.npz"):
        load_official("mnist", places["data"])


def test_empty_data_dir_is_an_error_even_with_a_cache(places: dict[str, Path]) -> None:
    places["data"].mkdir()
    _write_npz(places["keras"] / "datasets" / "mnist.npz", _arrays())
    with pytest.raises(DataError) as info:
        load_official("mnist", places["data"])
    message = str(info.value)
    assert message.startswith(str(places["data"]))
    assert all(stem in message for stem in IDX_STEMS) and "mnist.npz" in message
    with pytest.raises(DataError):
        where("mnist", places["data"])


def test_data_dir_with_some_idx_files_says_which_are_missing(places: dict[str, Path]) -> None:
    _write_idx_set(places["data"], _arrays())
    (places["data"] / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="but not t10k-labels-idx1-ubyte"):
        load_official("mnist", places["data"])


def test_missing_data_dir(places: dict[str, Path]) -> None:
    with pytest.raises(DataError, match="no such folder"):
        load_official("mnist", places["data"] / "nope")


@pytest.mark.parametrize(
    ("key", "bad", "expected"),
    [
        ("x_train", np.zeros((6, 28, 28), np.float32), "x_train is float32"),
        ("y_test", np.zeros(3, np.uint8), "one label per image"),
        ("y_train", np.full(6, 0.5), "integer class ids"),
    ],
)
def test_npz_with_bad_arrays(places: dict[str, Path], key: str, bad: np.ndarray,
                             expected: str) -> None:
    arrays = _arrays() | {key: bad}
    _write_npz(places["data"] / "mnist.npz", arrays)
    with pytest.raises(DataError, match=expected) as info:
        load_official("mnist", places["data"])
    assert str(info.value).startswith(str(places["data"] / "mnist.npz"))


def test_npz_missing_keys_and_corrupt(places: dict[str, Path]) -> None:
    _write_npz(places["data"] / "mnist.npz", {"x_train": _arrays()["x_train"]})
    with pytest.raises(DataError, match="lacks the arrays y_train, x_test, y_test"):
        load_official("mnist", places["data"])
    (places["data"] / "mnist.npz").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(DataError, match="not a readable .npz file"):
        load_official("mnist", places["data"])


def test_keras_cache_mnist(places: dict[str, Path]) -> None:
    arrays = _arrays()
    npz = places["keras"] / "datasets" / "mnist.npz"
    _write_npz(npz, arrays)
    got = load_official("mnist", download=False)
    _assert_same(got, arrays)
    assert got.source == f"{npz} (Keras cache)" == where("mnist")


def test_keras_cache_fashion_preferred_over_debian(places: dict[str, Path]) -> None:
    cached, debian = _arrays(6), _arrays(8)
    _write_idx_set(places["keras"] / "datasets" / "fashion-mnist", cached)
    _write_idx_set(places["debian"], debian)
    got = load_official("fashion_mnist", download=False)
    _assert_same(got, cached)
    assert got.source.endswith("(Keras cache)") and got.source == where("fashion_mnist")


def test_debian_fashion(places: dict[str, Path]) -> None:
    arrays = _arrays()
    _write_idx_set(places["debian"], arrays)
    got = load_official("fashion_mnist", download=False)
    _assert_same(got, arrays)
    assert got.source == f"{places['debian']} (Debian package dataset-fashion-mnist)"
    assert where("fashion_mnist") == got.source


def test_debian_dir_is_not_used_for_mnist(places: dict[str, Path]) -> None:
    _write_idx_set(places["debian"], _arrays())
    with pytest.raises(DataError, match="downloads are off"):
        load_official("mnist", download=False)


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_offline_download_fails_with_one_helpful_error(places: dict[str, Path],
                                                       name: str) -> None:
    with pytest.raises(DataError) as info:
        load_official(name)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"could not load {name}: no local copy")
    assert CLOSED_PORT in message and str(places["keras"]) in message
    # Called from Python: the Python argument, not the command's option (issue 19.9).
    assert "data_dir=DIR, e.g. fb.load_dataset(" in message and "the 'digits' data set" in message
    assert "--data-dir" not in message and "--dataset" not in message
    # only datasets/ is ours: Keras writes keras.json into KERAS_HOME when first imported
    assert [p for p in (places["keras"] / "datasets").rglob("*") if p.is_file()] == []


def test_no_download_allowed(places: dict[str, Path]) -> None:
    with pytest.raises(DataError) as info:
        load_official("mnist", download=False)
    message = str(info.value)
    assert "downloads are off" in message and "data_dir=DIR" in message
    assert CLOSED_PORT not in message
    assert not places["keras"].exists()  # nothing created when nothing was fetched


def _fake_get_file(arrays: dict[str, np.ndarray], calls: list[dict[str, object]]):
    """A get_file stand-in that writes the file a real download would."""

    def get_file(**kwargs: object) -> str:
        calls.append(kwargs)
        folder = Path(str(kwargs["cache_dir"])) / str(kwargs["cache_subdir"])
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / str(kwargs["fname"])
        if target.suffix == ".npz":
            np.savez(target, **arrays)
        else:
            key = ("x_train", "y_train", "x_test", "y_test")[IDX_STEMS.index(target.stem)]
            write_idx(target, arrays[key])
        return str(target)

    return get_file


def test_download_mnist_is_pinned(places: dict[str, Path],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from fitbench._keras import keras

    arrays, calls = _arrays(), []
    monkeypatch.setattr(keras.utils, "get_file", _fake_get_file(arrays, calls))
    got = load_official("mnist")
    _assert_same(got, arrays)
    assert calls == [{
        "fname": "mnist.npz", "origin": CLOSED_PORT + "mnist.npz",
        "file_hash": _sources.MNIST_SHA256, "hash_algorithm": "sha256",
        "cache_subdir": "datasets", "cache_dir": str(places["keras"]),
    }]
    assert got.source == f"downloaded to {places['keras'] / 'datasets' / 'mnist.npz'}"
    assert where("mnist").endswith("(Keras cache)")  # the next run finds the cached copy


def test_download_fashion_uses_md5s(places: dict[str, Path],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from fitbench._keras import keras

    arrays, calls = _arrays(), []
    monkeypatch.setattr(keras.utils, "get_file", _fake_get_file(arrays, calls))
    _assert_same(load_official("fashion_mnist"), arrays)
    assert [c["fname"] for c in calls] == [f"{stem}.gz" for stem in IDX_STEMS]
    assert {c["hash_algorithm"] for c in calls} == {"md5"}
    assert [c["file_hash"] for c in calls] == list(_sources.FASHION_MD5.values())
    assert {c["cache_subdir"] for c in calls} == {"datasets/fashion-mnist"}


def test_hash_mismatch_leaves_no_file(places: dict[str, Path],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from fitbench._keras import keras

    def corrupt_get_file(**kwargs: object) -> str:
        target = Path(str(kwargs["cache_dir"])) / "datasets" / "mnist.npz"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"corrupt")  # what get_file leaves after a hash mismatch
        raise ValueError("Incomplete or corrupted file detected.")

    monkeypatch.setattr(keras.utils, "get_file", corrupt_get_file)
    with pytest.raises(DataError, match=r"failed \(Incomplete or corrupted file"):
        load_official("mnist")
    assert not (places["keras"] / "datasets" / "mnist.npz").exists()


@pytest.mark.parametrize(("name", "size"), [("mnist", "11 MB"), ("fashion_mnist", "30 MB")])
def test_where_when_nothing_is_local(places: dict[str, Path], name: str, size: str) -> None:
    text = where(name)
    assert text.startswith("not on this machine: would download")
    assert CLOSED_PORT in text and size in text and str(places["keras"]) in text
    assert not places["keras"].exists()  # where() downloads and creates nothing


def test_keras_home_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERAS_HOME", "/somewhere/else")
    assert _sources.keras_home() == Path("/somewhere/else")
    monkeypatch.delenv("KERAS_HOME")
    assert _sources.keras_home() == Path(os.path.expanduser("~/.keras"))


def test_unknown_name(places: dict[str, Path]) -> None:
    with pytest.raises(ConfigError, match="expected one of mnist, fashion_mnist"):
        load_official("cifar10")
    with pytest.raises(ConfigError):
        where("digits")


def test_digits() -> None:
    images, labels, source = _sources.load_digits_arrays()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert images.min() == 0 and images.max() == 16
    assert labels.shape == (1797,) and np.issubdtype(labels.dtype, np.integer)
    assert set(labels.tolist()) == set(range(10))
    assert "digits" in source


def test_real_debian_fashion_mnist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not _sources.DEBIAN_FASHION_DIR.is_dir():
        pytest.skip(f"{_sources.DEBIAN_FASHION_DIR} missing: install the Debian package "
                    "dataset-fashion-mnist")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # so a cached copy cannot win
    got = load_official("fashion_mnist", download=False)
    assert got.x_train.shape == (60000, 28, 28) and got.y_train.shape == (60000,)
    assert got.x_test.shape == (10000, 28, 28) and got.y_test.shape == (10000,)
    assert np.bincount(got.y_test).tolist() == [1000] * 10
    assert "Debian" in got.source


def test_the_offline_error_names_the_command_line_option_under_the_fitbench_command(places: dict[str, Path]) -> None:
    with command_line(), pytest.raises(DataError) as info:
        load_official("mnist")
    assert "with --data-dir DIR" in str(info.value) and "--dataset digits" in str(info.value)
