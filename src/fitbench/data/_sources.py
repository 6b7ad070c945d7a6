"""Where the official data sets come from: a folder the user names, the Keras cache,
Debian's Fashion-MNIST package, or a download pinned by hash.

Search order for ``load_official(name, data_dir)``:

1. ``data_dir``, when given: the four IDX files (each plain or ``.gz``) or an ``.npz`` in
   the Keras layout. Nothing usable there is an error: a named folder is never skipped.
2. The Keras cache, ``$KERAS_HOME`` or ``~/.keras``: ``datasets/mnist.npz``, or
   ``datasets/fashion-mnist/`` with the four IDX files.
3. Fashion-MNIST only: Debian's package ``dataset-fashion-mnist``.
4. When ``download`` is true: ``keras.utils.get_file`` into the Keras cache, hash-checked.
"""

from __future__ import annotations

import contextlib
import os
import urllib.error
import zipfile
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from fitbench.data._idx import read_idx_pair
from fitbench.errors import ConfigError, DataError, spelled

__all__ = [
    "DEBIAN_FASHION_DIR",
    "FASHION_ORIGIN",
    "MNIST_ORIGIN",
    "OFFICIAL",
    "OfficialArrays",
    "keras_home",
    "load_digits_arrays",
    "load_official",
    "where",
]

OFFICIAL = ("mnist", "fashion_mnist")

# Base URLs (file names are appended); tests point them at a closed local port.
MNIST_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FASHION_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

# The hash Keras' own mnist.load_data pins.
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
# Zalando publishes only MD5s for Fashion-MNIST; get_file checks them with hash_algorithm="md5".
FASHION_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
# In load order: train images, train labels, test images, test labels.
IDX_STEMS = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
_DOWNLOAD_MB = {"mnist": 11, "fashion_mnist": 30}


class OfficialArrays(NamedTuple):
    """One official set: uint8 images ``(n, 28, 28)``, uint8 labels ``(n,)``, and where
    they were loaded from, in words."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str


class _Found(NamedTuple):
    """A local copy: ``(npz,)`` or the four IDX files in ``IDX_STEMS`` order."""

    files: tuple[Path, ...]
    where: str


class _Download(NamedTuple):
    """One ``keras.utils.get_file`` call."""

    fname: str
    origin: str
    cache_subdir: str
    file_hash: str
    hash_algorithm: str


def keras_home() -> Path:
    """The Keras cache root, read at call time so that ``KERAS_HOME`` set later counts."""
    return Path(os.path.expanduser(os.environ.get("KERAS_HOME") or "~/.keras"))


def load_official(
    name: str, data_dir: str | os.PathLike[str] | None = None, *, download: bool = True
) -> OfficialArrays:
    """Load ``"mnist"`` or ``"fashion_mnist"`` from the first place that has it.

    Raises:
        ConfigError: ``name`` is not in ``OFFICIAL``.
        DataError: nothing usable in ``data_dir``, a corrupt file, or no local copy and
            no download (offline, or ``download=False``).
    """
    _check_name(name)
    found = _find_local(name, data_dir)
    if found is None:
        if not download:
            raise DataError(_missing_message(name, None, ""))
        found = _download(name)
    return _load(found)


def where(name: str, data_dir: str | os.PathLike[str] | None = None) -> str:
    """One line saying where ``load_official`` would load ``name`` from now; reads and
    downloads nothing. Raises the same DataError as ``load_official`` for a bad
    ``data_dir``."""
    _check_name(name)
    found = _find_local(name, data_dir)
    return found.where if found is not None else _download_plan(name)


def load_digits_arrays() -> tuple[np.ndarray, np.ndarray, str]:
    """scikit-learn's bundled digits: uint8 images ``(1797, 8, 8)`` valued 0..16, int labels."""
    # imported here: scikit-learn is slow to import and only this set needs it
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images.astype(np.uint8)  # stored as float64 0..16, exact in uint8
    labels = bunch.target.astype(np.int64)
    return images, labels, "scikit-learn's bundled digits (1,797 8x8 images, values 0..16)"


def _check_name(name: str) -> None:
    if name not in OFFICIAL:
        raise ConfigError(f"unknown official dataset {name!r}; expected one of "
                          f"{', '.join(OFFICIAL)} (digits is load_digits_arrays)")


# ---- finding a local copy -------------------------------------------------------------


def _find_local(name: str, data_dir: str | os.PathLike[str] | None) -> _Found | None:
    """The user's folder when given (raising if unusable), else the first known place."""
    if data_dir is not None:
        return _find_in_data_dir(name, Path(data_dir))
    for place, label in _known_places(name):
        files = _files_at(place)
        if files:
            return _Found(files, f"{place} ({label})")
    return None


def _files_at(place: Path) -> tuple[Path, ...] | None:
    """A known place is either one ``.npz`` file or a folder of IDX files."""
    if place.suffix == ".npz":
        return (place,) if place.is_file() else None
    return _idx_files(place)


def _known_places(name: str) -> list[tuple[Path, str]]:
    """Places searched when no ``data_dir`` is given, with a label for messages."""
    datasets = keras_home() / "datasets"
    if name == "mnist":
        return [(datasets / "mnist.npz", "Keras cache")]
    return [(datasets / "fashion-mnist", "Keras cache"),
            (DEBIAN_FASHION_DIR, "Debian package dataset-fashion-mnist")]


def _idx_files(folder: Path) -> tuple[Path, ...] | None:
    """The four IDX files in ``folder`` (plain preferred over ``.gz``), or None."""
    files = [_idx_file(folder, stem) for stem in IDX_STEMS]
    return tuple(f for f in files if f is not None) if all(files) else None


def _idx_file(folder: Path, stem: str) -> Path | None:
    for path in (folder / stem, folder / f"{stem}.gz"):
        if path.is_file():
            return path
    return None


def _find_in_data_dir(name: str, folder: Path) -> _Found:
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder; the data folder must hold the four "
                        f"{name} IDX files or {name}.npz")
    files = _idx_files(folder)
    if files:
        return _Found(files, f"{folder} (IDX files)")
    npz = _npz_in(folder, name)
    if npz is not None:
        return _Found((npz,), str(npz))
    raise DataError(_empty_dir_message(name, folder))


def _npz_in(folder: Path, name: str) -> Path | None:
    """``<name>.npz``, else the only ``*.npz``; several unnamed ones are ambiguous."""
    preferred = folder / f"{name}.npz"
    if preferred.is_file():
        return preferred
    found = sorted(folder.glob("*.npz"))
    if len(found) > 1:
        raise DataError(f"{folder}: {len(found)} .npz files ({', '.join(p.name for p in found)}) "
                        f"and none named {name}.npz; rename the one to use to {name}.npz")
    return found[0] if found else None


def _empty_dir_message(name: str, folder: Path) -> str:
    present = [stem for stem in IDX_STEMS if _idx_file(folder, stem)]
    partial = ""
    if present:
        missing = [stem for stem in IDX_STEMS if stem not in present]
        partial = f"; found {', '.join(present)} but not {', '.join(missing)}"
    return (f"{folder}: no {name} data here: expected the four IDX files "
            f"{', '.join(IDX_STEMS)} (each may end in .gz) or {name}.npz holding "
            f"{', '.join(_NPZ_KEYS)}{partial}")


# ---- loading and validating -----------------------------------------------------------


def _load(found: _Found) -> OfficialArrays:
    if len(found.files) == 1:
        x_train, y_train, x_test, y_test = _read_npz(found.files[0])
    else:
        x_train, y_train = read_idx_pair(found.files[0], found.files[1])
        x_test, y_test = read_idx_pair(found.files[2], found.files[3])
    if x_train.shape[1:] != x_test.shape[1:]:
        raise DataError(f"{found.where}: training images are {_size(x_train)} but test "
                        f"images are {_size(x_test)}; expected one size for both")
    return OfficialArrays(x_train, y_train, x_test, y_test, found.where)


def _size(images: np.ndarray) -> str:
    return "x".join(str(d) for d in images.shape[1:])


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The Keras-layout arrays of ``path``, checked for shape and dtype."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in _NPZ_KEYS if k not in npz.files]
            if missing:
                raise DataError(f"{path}: lacks the arrays {', '.join(missing)}; expected "
                                f"{', '.join(_NPZ_KEYS)} (the Keras mnist.npz layout)")
            arrays = {k: npz[k] for k in _NPZ_KEYS}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: not a readable .npz file ({exc}); expected "
                        f"{', '.join(_NPZ_KEYS)} (the Keras mnist.npz layout)") from exc
    x_train, y_train = _check_split(path, "train", arrays["x_train"], arrays["y_train"])
    x_test, y_test = _check_split(path, "test", arrays["x_test"], arrays["y_test"])
    return x_train, y_train, x_test, y_test


def _check_split(path: Path, split: str, images: np.ndarray,
                 labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Images must be uint8 ``(n, h, w)``, labels integers ``(n,)`` in 0..255."""
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DataError(f"{path}: x_{split} is {images.dtype} {images.shape}; expected "
                        "uint8 images of shape (n, height, width)")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise DataError(f"{path}: y_{split} has shape {labels.shape}; expected "
                        f"({images.shape[0]},), one label per image in x_{split}")
    if not np.issubdtype(labels.dtype, np.integer) or (
            labels.size and (labels.min() < 0 or labels.max() > 255)):
        raise DataError(f"{path}: y_{split} must hold integer class ids in 0..255; "
                        f"got {labels.dtype}")
    return images, labels.astype(np.uint8, copy=False)


# ---- downloading ----------------------------------------------------------------------


def _downloads(name: str) -> list[_Download]:
    # module constants read here, at call time, so tests can monkeypatch them
    if name == "mnist":
        return [_Download("mnist.npz", MNIST_ORIGIN + "mnist.npz", "datasets",
                          MNIST_SHA256, "sha256")]
    return [_Download(f"{stem}.gz", FASHION_ORIGIN + f"{stem}.gz", "datasets/fashion-mnist",
                      FASHION_MD5[f"{stem}.gz"], "md5") for stem in IDX_STEMS]


def _download(name: str) -> _Found:
    """Fetch ``name`` into the Keras cache with hash checks; one DataError on failure."""
    cache = keras_home()
    # get_file silently falls back to /tmp/.keras when the cache folder does not exist yet
    with contextlib.suppress(OSError):
        cache.mkdir(parents=True, exist_ok=True)
    files = tuple(_fetch(name, item, cache) for item in _downloads(name))
    place = files[0] if len(files) == 1 else files[0].parent
    return _Found(files, f"downloaded to {place}")


def _fetch(name: str, item: _Download, cache: Path) -> Path:
    # imported here: Keras (and JAX) take seconds to import and only downloads need them
    from fitbench._keras import keras

    try:
        return Path(keras.utils.get_file(
            fname=item.fname, origin=item.origin, file_hash=item.file_hash,
            hash_algorithm=item.hash_algorithm, cache_subdir=item.cache_subdir,
            cache_dir=str(cache)))
    except Exception as exc:  # get_file raises bare Exception for network failures
        # a hash mismatch leaves the bad file behind; the cache search would then trust it
        with contextlib.suppress(OSError):
            (cache / item.cache_subdir / item.fname).unlink(missing_ok=True)
        raise DataError(_missing_message(name, item.origin, _short_reason(exc))) from exc


def _short_reason(exc: Exception) -> str:
    """The network reason behind Keras' wrapped error, on one short line."""
    cause = exc.__context__  # get_file re-raises urllib errors as a bare Exception
    if isinstance(cause, urllib.error.HTTPError):
        text = f"HTTP {cause.code} {cause.reason}"
    elif isinstance(cause, urllib.error.URLError):
        text = str(cause.reason)
    else:
        text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:160]


def _missing_message(name: str, url: str | None, reason: str) -> str:
    looked = ", ".join(str(place) for place, _ in _known_places(name))
    failed = (f"the download from {url} failed ({reason})" if url is not None
              else "downloads are off")
    offline = "Offline? " if url is not None else ""
    where = spelled(f"data_dir=DIR, e.g. fb.load_dataset({name!r}, data_dir=DIR)", "--data-dir DIR")
    digits = spelled("the 'digits' data set", "--dataset digits")
    return (f"could not load {name}: no local copy (looked in {looked}) and {failed}. "
            f"{offline}Point fitbench at the files (the four IDX files or {name}.npz) with "
            f"{where}; or use {digits}, which needs no download.")


def _download_plan(name: str) -> str:
    item = _downloads(name)[0]
    into = keras_home() / item.cache_subdir
    what = item.origin if name == "mnist" else f"the four IDX files from {FASHION_ORIGIN}"
    return f"not on this machine: would download {what} ({_DOWNLOAD_MB[name]} MB) into {into}"
