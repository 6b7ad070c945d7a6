"""Image folders: one subfolder per class, the layout of Keras' ``image_dataset_from_directory``.

    DIR/<class>/<image>                    one pool, split three ways like idx
    DIR/train/<class>/<image>              train (and val) from train/, test from test/
    DIR/test/<class>/<image>

Class names are the subfolder names, sorted. Images (PNG, JPEG, BMP, GIF, TIFF) are decoded
in a thread pool (Pillow releases the GIL while it decodes), converted to one colour mode and
size, and the arrays are cached in one ``.npz`` keyed by every file's name, size and
modification time and the options, so loading the same folder again reads one file.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import numpy as np

from fitbench import _io
from fitbench.errors import DataError, FitbenchWarning

__all__ = ["EXTENSIONS", "Decoded", "FolderData", "decode_image", "default_cache_dir", "fit_image", "image_files", "load_folder"]

EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff"})
CACHE_VERSION = 1  # bump when the cached arrays change meaning
_PIL_MODE = {"grayscale": "L", "rgb": "RGB"}
_GRAY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "F"})
MAX_PIXELS = 4096 * 4096  # per image: larger is a photo to shrink first, or a decompression bomb
_CHUNK = 256  # images per task in the pool: one future per image would cost more than decoding
_SHOWN = 10  # unreadable files named in the warning; the rest are counted
T = TypeVar("T")


class FolderData(NamedTuple):
    """Decoded images: uint8 ``(n, h, w)`` (grayscale) or ``(n, h, w, 3)`` (rgb) per split."""

    x_train: np.ndarray
    y_train: np.ndarray  # (n,) int64 class ids, indexes into class_names
    x_test: np.ndarray | None  # None: the folder has no test/ subfolder
    y_test: np.ndarray | None
    class_names: tuple[str, ...]
    resized: int
    converted: int
    skipped: tuple[str, ...]  # "relative/path: reason" for each unreadable file

    @property
    def color_mode(self) -> str:
        return "rgb" if self.x_train.ndim == 4 else "grayscale"

    @property
    def image_size(self) -> list[int]:
        return [int(self.x_train.shape[1]), int(self.x_train.shape[2])]

    def describe(self, root: Path) -> str:
        """One line for ``Dataset.summary()``: where, how many, and what was changed."""
        count = len(self.y_train) + (0 if self.y_test is None else len(self.y_test))
        layout = " (train/ and test/)" if self.y_test is not None else ""
        height, width = self.image_size
        changes = [f"{self.resized:,} resized", f"{self.converted:,} converted to {self.color_mode}"]
        if self.skipped:
            changes.append(f"{len(self.skipped):,} unreadable skipped")
        return (f"{root}{layout}: {len(self.class_names)} classes, {count:,} images, "
                f"{height}x{width} {self.color_mode}; {', '.join(changes)}")


class Decoded(NamedTuple):
    """One image file, decoded in the colour family it holds."""

    pixels: np.ndarray | None  # (h, w) or (h, w, 3) uint8; None: unreadable
    mode: str  # Pillow's mode of the file, or the reason it could not be read


def default_cache_dir() -> Path:
    """``$FITBENCH_CACHE``, else ``$XDG_CACHE_HOME/fitbench``, else ``~/.cache/fitbench``."""
    if os.environ.get("FITBENCH_CACHE"):
        return Path(os.environ["FITBENCH_CACHE"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fitbench"


def load_folder(root: str | os.PathLike[str], *, image_size: Sequence[int] | None = None,
                color_mode: str | None = None, strict: bool = False,
                cache_dir: str | os.PathLike[str] | None = None) -> FolderData:
    """Every image under ``root``, decoded (or read back from the cache).

    Unreadable files are listed in one warning and skipped; ``strict`` refuses them.

    Raises:
        DataError: no such folder, fewer than two classes, no images, or (``strict``) an
            unreadable file.
    """
    root = Path(root)
    train_dir, test_dir = _split_folders(root)
    class_names = _class_names(train_dir)
    train_files = _labelled_files(train_dir, class_names)
    test_files = _labelled_files(test_dir, class_names, train_dir) if test_dir else None
    if not train_files:
        raise DataError(f"{train_dir}: no images in the class folders ({', '.join(class_names)}); "
                        f"expected files ending in {', '.join(sorted(EXTENSIONS))}")
    options = {"image_size": list(image_size) if image_size else None, "color_mode": color_mode}
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    place, content = _cache_key(root, train_files, test_files, options)
    cache_file = cache / f"folder-{place}-{content}.npz"
    data = _read_cache(cache_file, class_names)
    if data is None:
        data = _decode_folder(root, train_files, test_files, class_names, image_size, color_mode)
        _write_cache(cache_file, data)
        _remove_stale(cache, place, keep=cache_file)
    _report_skipped(root, data.skipped, strict)
    return data


def image_paths(root: str | os.PathLike[str], data: FolderData) -> list[str]:
    """The files ``data`` was decoded from, in the order of its images (train/, then test/)."""
    train_dir, test_dir = _split_folders(Path(root))
    files = _labelled_files(train_dir, data.class_names)
    if test_dir is not None:
        files += _labelled_files(test_dir, data.class_names, train_dir)
    skipped = set(data.skipped)
    return [item.path for item in files if not _was_skipped(os.path.relpath(item.path, root), skipped)]


def _was_skipped(relative: str, skipped: set[str]) -> bool:
    # A skipped file is listed as "relative/path: reason"; the reason may itself hold ": ".
    return any(entry.startswith(f"{relative}: ") for entry in skipped)


# ---- finding the files ----------------------------------------------------------------


def _split_folders(root: Path) -> tuple[Path, Path | None]:
    if not root.is_dir():
        raise DataError(f"{root}: no such folder; expected a folder with one subfolder of images per class")
    train, test = root / "train", root / "test"
    if train.is_dir():
        return train, test if test.is_dir() else None
    if test.is_dir():
        raise DataError(f"{root}: has test/ but no train/; put the training images in {train}")
    return root, None


def _class_folders(folder: Path) -> list[Path]:
    return sorted((entry for entry in folder.iterdir() if entry.is_dir() and not entry.name.startswith(".")),
                  key=lambda entry: entry.name)


def _class_names(folder: Path) -> tuple[str, ...]:
    names = tuple(entry.name for entry in _class_folders(folder))
    if len(names) < 2:
        found = f"only {names[0]!r}" if names else "none"
        raise DataError(f"{folder}: a classifier needs at least two classes, one subfolder of images each; "
                        f"found {found}")
    return names


def image_files(folder: Path) -> Iterator[os.DirEntry[str]]:
    """Image files under ``folder`` at any depth, sorted by path; hidden entries are skipped."""
    entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from image_files(Path(entry.path))
        elif entry.name[entry.name.rfind("."):].lower() in EXTENSIONS and entry.is_file():  # faster than splitext
            yield entry


class _File(NamedTuple):
    path: str
    label: int
    size: int
    mtime_ns: int


def _labelled_files(folder: Path, class_names: tuple[str, ...], train_dir: Path | None = None) -> list[_File]:
    files = []
    for entry in _class_folders(folder):
        if entry.name not in class_names:
            raise DataError(f"{entry}: class {entry.name!r} is not among the training classes in {train_dir} "
                            f"({', '.join(class_names)}); add it there or remove it")
        label = class_names.index(entry.name)
        for item in image_files(entry):
            stat = item.stat()  # most of a cached load's time (threads measured no faster)
            files.append(_File(item.path, label, stat.st_size, stat.st_mtime_ns))
    return files


# ---- the cache ------------------------------------------------------------------------


def _cache_key(root: Path, train: list[_File], test: list[_File] | None,
               options: Mapping[str, object]) -> tuple[str, str]:
    """Two hashes: of the folder and options (which cache file is this folder's), and of every
    file's path, label, size and modification time (is that file still current)."""
    place = hashlib.sha256(json.dumps({"version": CACHE_VERSION, "root": str(root.resolve()),
                                       **options}).encode()).hexdigest()[:16]
    content = hashlib.sha256()
    for split, files in (("train", train), ("test", test or [])):
        for item in files:
            content.update(f"{split}\0{item.path}\0{item.label}\0{item.size}\0{item.mtime_ns}\n".encode())
    return place, content.hexdigest()[:32]


def _remove_stale(cache: Path, place: str, keep: Path) -> None:
    # An older file list of the same folder and options will not be asked for again.
    for stale in cache.glob(f"folder-{place}-*.npz"):
        if stale != keep:
            stale.unlink(missing_ok=True)


def _read_cache(path: Path, class_names: tuple[str, ...]) -> FolderData | None:
    """The cached arrays, or None when missing or unusable (then the folder is decoded again)."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        has_test = bool(arrays["has_test"])
        data = FolderData(
            arrays["x_train"], arrays["y_train"], arrays["x_test"] if has_test else None,
            arrays["y_test"] if has_test else None, tuple(str(name) for name in arrays["class_names"]),
            int(arrays["resized"]), int(arrays["converted"]), tuple(str(item) for item in arrays["skipped"]))
    except (OSError, ValueError, KeyError, EOFError):
        return None
    return data if data.class_names == class_names and data.x_train.dtype == np.uint8 else None


def _write_cache(path: Path, data: FolderData) -> None:
    empty = np.zeros((0,), np.uint8)
    arrays = {
        "x_train": data.x_train, "y_train": data.y_train,
        "x_test": data.x_test if data.x_test is not None else empty,
        "y_test": data.y_test if data.y_test is not None else empty,
        "has_test": np.array(data.x_test is not None), "class_names": np.array(data.class_names, dtype=str),
        "resized": np.array(data.resized), "converted": np.array(data.converted),
        "skipped": np.array(data.skipped, dtype=str),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _io.atomic_write(path, lambda tmp: np.savez(tmp, **arrays))  # type: ignore[arg-type, unused-ignore]  # NumPy 2's stub: a **dict might fill allow_pickle
    except OSError as error:  # a read-only home: loading still works, only slower next time
        warnings.warn(f"cannot write the image cache {path} ({error.strerror or error}); "
                      "set dataset.cache_dir to a writable folder", FitbenchWarning, stacklevel=3)


# ---- decoding -------------------------------------------------------------------------


def decode_image(path: str) -> Decoded:
    """The file's pixels as grayscale ``(h, w)`` or rgb ``(h, w, 3)``, whichever it holds."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            mode = image.mode
            if image.width * image.height > MAX_PIXELS:
                return Decoded(None, f"{image.width}x{image.height} pixels, more than fitbench reads (4096x4096)")
            pixels = np.asarray(image.convert("L" if mode in _GRAY_MODES else "RGB"))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        empty = isinstance(error, UnidentifiedImageError) and os.path.getsize(path) == 0
        return Decoded(None, "empty file" if empty else str(error).split("\n")[0][:120] or type(error).__name__)
    if mode == "P" and (pixels == pixels[..., :1]).all():
        pixels = pixels[..., 0]  # a palette of greys: a grayscale image
    return Decoded(pixels, mode)


def _family(pixels: np.ndarray) -> str:
    return "rgb" if pixels.ndim == 3 else "grayscale"


def fit_image(pixels: np.ndarray, size: tuple[int, int], color_mode: str) -> np.ndarray:
    """``pixels`` converted to ``color_mode`` and resized (bilinear, as Keras does) to ``size``."""
    from PIL import Image

    if _family(pixels) != color_mode:
        if color_mode == "rgb":
            pixels = np.repeat(pixels[..., None], 3, axis=-1)
        else:
            pixels = np.asarray(Image.fromarray(pixels).convert("L"))
    if pixels.shape[:2] != size:
        resized = Image.fromarray(pixels).resize((size[1], size[0]), Image.Resampling.BILINEAR)
        pixels = np.asarray(resized)
    return pixels


def _decode_chunk(paths: list[str]) -> list[Decoded]:
    return [decode_image(path) for path in paths]


def _in_pool(function: Callable[[list[Any]], list[T]], items: list[Any]) -> list[T]:
    """``function`` over chunks of ``items`` in a thread pool, results in order."""
    chunks = [items[start:start + _CHUNK] for start in range(0, len(items), _CHUNK)]
    with ThreadPoolExecutor() as pool:
        return [result for chunk in pool.map(function, chunks) for result in chunk]


def _decode_folder(root: Path, train: list[_File], test: list[_File] | None, class_names: tuple[str, ...],
                   image_size: Sequence[int] | None, color_mode: str | None) -> FolderData:
    files = train + (test or [])
    decoded = _in_pool(_decode_chunk, [item.path for item in files])
    skipped = tuple(f"{os.path.relpath(item.path, root)}: {found.mode}"
                    for item, found in zip(files, decoded, strict=True) if found.pixels is None)
    kept = [(index, found.pixels) for index, found in enumerate(decoded) if found.pixels is not None]
    readable = [index for index, _ in kept]
    pixels = [image for _, image in kept]
    train_pixels = [image for index, image in kept if index < len(train)]
    if not train_pixels:
        raise DataError(f"{root}: none of the {len(train):,} training images could be read (e.g. {skipped[0]})")
    # Defaults: the most common size and colour mode of the training images.
    common = Counter((p.shape[0], p.shape[1]) for p in train_pixels).most_common(1)[0][0]
    size: tuple[int, int] = (int(image_size[0]), int(image_size[1])) if image_size else common
    mode = color_mode or Counter(_family(p) for p in train_pixels).most_common(1)[0][0]

    def fit_chunk(chunk: list[np.ndarray]) -> list[np.ndarray]:
        return [fit_image(p, size, mode) for p in chunk]

    fitted: list[np.ndarray] = _in_pool(fit_chunk, pixels)  # annotated: T from fit_chunk, not np.stack
    x = np.stack(fitted)  # (n, h, w) or (n, h, w, 3)
    y = np.array([files[index].label for index in readable], dtype=np.int64)
    in_test = np.array(readable) >= len(train)
    resized = sum(p.shape[:2] != size for p in pixels)
    converted = sum(decoded[index].mode != _PIL_MODE[mode] for index in readable)
    x_test, y_test = (x[in_test], y[in_test]) if test is not None else (None, None)
    return FolderData(x[~in_test], y[~in_test], x_test, y_test, class_names, resized, converted, skipped)


def _report_skipped(root: Path, skipped: tuple[str, ...], strict: bool) -> None:
    if not skipped:
        return
    shown = "; ".join(skipped[:_SHOWN]) + (f"; and {len(skipped) - _SHOWN} more" if len(skipped) > _SHOWN else "")
    if strict:
        raise DataError(f"{root}: {len(skipped)} image file(s) cannot be read: {shown}; "
                        "fix or remove them, or load with strict=False to skip them")
    warnings.warn(f"skipped {len(skipped)} unreadable image file(s) in {root}: {shown}", FitbenchWarning,
                  stacklevel=3)
