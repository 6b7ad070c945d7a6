"""A data set split into train/val/test, and ``load_dataset`` that makes one from a config."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np

from fitbench._display_names import ShownAsHtml
from fitbench.config import DatasetConfig, validate
from fitbench.data import _registry
from fitbench.data._registry import DIGIT_NAMES
from fitbench.errors import ConfigError, DataError

Split = Literal["train", "val", "test"]
SPLITS: tuple[Split, ...] = ("train", "val", "test")



@dataclass(frozen=True, eq=False)
class Dataset(ShownAsHtml):
    """Images and labels in three splits, with what is needed to load them again.

    Images are float32 ``(n, height, width)``, scaled to 0..1 when ``normalized``;
    labels are int32 ``(n,)`` in ``0 .. num_classes - 1``. ``val`` or ``test`` may be empty.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    pixel_max: float = 255.0  # the raw pixel scale: 255 for MNIST, 16 for scikit-learn digits
    normalized: bool = True
    class_names: tuple[str, ...] = DIGIT_NAMES
    source: str = ""
    config: DatasetConfig | None = field(default=None, repr=False)  # None: arrays from Python

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` of the ``"train"``, ``"val"`` or ``"test"`` split (any other name: ``ConfigError``)."""
        if name not in SPLITS:
            raise ConfigError(f"split: expected one of train, val, test, got {name!r}")
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}")

    def sizes(self) -> dict[str, int]:
        return {name: len(self.split(name)[1]) for name in SPLITS}

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The three ``(x, y)`` pairs, so the course's cells run on fitbench data unchanged:
        ``(x_train, y_train), (x_val, y_val), (x_test, y_test) = data``."""
        return iter([self.split(name) for name in SPLITS])

    def summary(self) -> str:
        """Shapes, value ranges and class counts: the course's 'look at the data' step."""
        lines = [f"{self.name}: {self.source}"]
        for name in SPLITS:
            x, y = self.split(name)
            if len(y):
                lines.append(
                    f"  {name:5s} x {tuple(x.shape)} {x.dtype} in [{x.min():g}, {x.max():g}]   "
                    f"y {tuple(y.shape)} labels {y.min()}..{y.max()}"
                )
        return "\n".join(lines)

    @classmethod
    def from_arrays(
        cls,
        train: tuple[Any, Any],
        val: tuple[Any, Any] | None = None,
        test: tuple[Any, Any] | None = None,
        *,
        num_classes: int | None = None,
        name: str = "arrays",
    ) -> Dataset:
        """A Dataset around arrays the user already has (kept as given: no scaling)."""
        parts = [_as_pair(pair, split) for pair, split in ((train, "train"), (val, "val"), (test, "test"))]
        (x_train, y_train), (x_val, y_val), (x_test, y_test) = [
            pair if pair is not None else _empty_like(parts[0]) for pair in parts
        ]
        labels = np.concatenate([y_train, y_val, y_test])
        where = "the labels passed to fitbench"
        classes = num_classes if num_classes is not None else inferred_classes(labels, where=where)
        _check_labels(labels, classes, where=where)
        raw_max = float(max(x.max() for x in (x_train, x_val, x_test) if len(x)))
        return cls(name, x_train, y_train, x_val, y_val, x_test, y_test, classes,
                   pixel_max=raw_max, normalized=raw_max <= 1.0, source="arrays passed from Python")


def load_dataset(name: str = "mnist", **options: Any) -> Dataset:
    """Load a data set by name and split it into train/val/test.

    ``load_dataset("mnist", val_size=0.2, seed=42)`` gives exactly the course's split:
    scikit-learn's ``train_test_split(x, y, test_size=0.2, random_state=42)`` of the 60,000
    training images (48,000 train, 12,000 val) and the official 10,000 test images. Options
    are the keys of the experiment file's ``dataset`` section.
    """
    config = validate(DatasetConfig, {"name": name, **options}, where="load_dataset()", prefix="dataset")
    return load_from_config(config)


def load_from_config(config: DatasetConfig) -> Dataset:
    """The Dataset an experiment file's ``dataset`` section describes.

    For an image folder the Dataset's ``config`` records what loading chose (image size,
    colour mode, class names), so that a run's folder says how to prepare new inputs.
    """
    raw = _read_source(config)
    train, val, test = _arrange(raw.pool, raw.test, raw.config)
    names = _names(config, raw.classes, raw.names)
    cleaned = _clean_labels({"train": train, "val": val, "test": test}, raw, names)
    splits = [_scale(cleaned[split], raw.pixel_max if config.normalize else 1.0) for split in SPLITS]
    return Dataset(config.name, *splits[0], *splits[1], *splits[2], num_classes=raw.classes,
                   pixel_max=raw.pixel_max, normalized=config.normalize, class_names=names,
                   source=raw.source, config=raw.config)


def source_positions(config: DatasetConfig) -> dict[Split, np.ndarray]:
    """Where each split's images sit in the source, in the order it stores them (a folder's
    readable files, sorted; an official set's training images, then its test images): the
    splits of ``load_from_config``, made on positions instead of images."""
    raw = _read_source(config)
    where = _positions(raw)
    if config.label_issues is None or config.label_issues.action == "relabel":
        return where
    # each split's positions as its images: the suspects' positions drop out as they would
    kept = _clean_labels({split: (where[split], where[split]) for split in SPLITS}, raw,
                         _names(config, raw.classes, raw.names))
    return {split: kept[split][0] for split in SPLITS}


def _positions(raw: _Source) -> dict[Split, np.ndarray]:
    pool = (np.arange(len(raw.pool[1])), raw.pool[1])
    test = None if raw.test is None else (len(pool[1]) + np.arange(len(raw.test[1])), raw.test[1])
    train, val, test_pair = _arrange(pool, test, raw.config)
    return {"train": train[0], "val": val[0], "test": test_pair[0]}


def _clean_labels(splits: dict[Split, Pair], raw: _Source, names: tuple[str, ...]) -> dict[Split, Pair]:
    """``dataset.label_issues``: the audit's suspects dropped or relabelled in train and validation."""
    setting = raw.config.label_issues
    if setting is None:
        return splits
    from fitbench.data._label_issues import clean, read_suspects

    labels = raw.pool[1] if raw.test is None else np.concatenate([raw.pool[1], raw.test[1]])  # by position
    suspects = read_suspects(setting, labels, names)
    where = _positions(raw)
    return {**splits, "train": clean(splits["train"], where["train"], suspects, setting.action),
            "val": clean(splits["val"], where["val"], suspects, setting.action)}


def source_files(config: DatasetConfig) -> list[str] | None:
    """An image folder's files in the order ``source_positions`` counts them; None for other sources."""
    if config.name != "folder":
        return None
    from fitbench.data._folder import image_paths, load_folder

    data = load_folder(Path(str(config.path)), image_size=config.image_size, color_mode=config.color_mode,
                       strict=config.strict, cache_dir=config.cache_dir)
    return image_paths(Path(str(config.path)), data)


class _Source(NamedTuple):
    pool: Pair  # the images the train and validation splits are drawn from
    test: Pair | None  # the source's own test split; None: drawn from the pool as well
    classes: int
    pixel_max: float
    source: str
    names: tuple[str, ...] | None
    config: DatasetConfig


def _read_source(config: DatasetConfig) -> _Source:
    from fitbench.data import _idx, _sources

    if config.name in _sources.OFFICIAL:
        arrays = _sources.load_official(config.name, config.data_dir)
        return _Source((arrays.x_train, arrays.y_train), (arrays.x_test, arrays.y_test), 10,
                       _registry.DATASETS[config.name].pixel_max, arrays.source, None, config)
    if config.name == "digits":
        x, y, source = _sources.load_digits_arrays()
        return _Source((x, y), None, 10, _registry.DATASETS[config.name].pixel_max, source, None, config)
    if config.name == "folder":
        return _from_folder(config)
    if config.name == "csv":
        x, y = _from_csv(config)
        classes = _idx_classes(y, config, where=str(config.path))
        return _Source((x, y), None, classes, 255.0, f"{config.path} (CSV, {len(y):,} images)", None, config)
    assert config.images is not None and config.labels is not None  # DatasetConfig requires both for idx
    x, y = _idx.read_idx_pair(config.images, config.labels)
    classes = _idx_classes(y, config, where=str(config.labels))
    return _Source((x, y), None, classes, _registry.DATASETS[config.name].pixel_max,
                   f"{config.images} + {config.labels}", None, config)


def _arrange(pool: Pair, test: Pair | None, config: DatasetConfig) -> tuple[Pair, Pair, Pair]:
    """Train, validation and test splits of a source, with the fold and limits applied."""
    if test is None:
        train, val, test = _three_way(pool, config)
    else:
        train, val = _split(pool, config.val_size, config)
    if config.folds is not None:
        train, val = _fold(train, val, config)
    return _limit(train, config.train_limit), _limit(val, config.val_limit), test


def _names(config: DatasetConfig, classes: int, found: tuple[str, ...] | None) -> tuple[str, ...]:
    """The declared class names, else the folder's, else fitbench's names for the data set."""
    if config.class_names is not None:
        if len(config.class_names) != classes:
            raise DataError(f"dataset.class_names: {len(config.class_names)} names for {classes} classes; "
                            "give one name per class, in label order")
        return tuple(config.class_names)
    return found if found is not None else _default_names(config.name, classes)


def _default_names(name: object, classes: int) -> tuple[str, ...]:
    return _registry.class_names(name if isinstance(name, str) else None, classes)


def _from_folder(config: DatasetConfig) -> _Source:
    """An image folder, with the config completed by what loading settled on (image size,
    colour mode, class names)."""
    from fitbench.data._folder import load_folder

    root = Path(str(config.path))  # set: the config's validator requires dataset.path for a folder
    data = load_folder(root, image_size=config.image_size, color_mode=config.color_mode,
                       strict=config.strict, cache_dir=config.cache_dir)
    test = None if data.x_test is None or data.y_test is None else (data.x_test, data.y_test)
    if test is not None and config.test_size is not None:
        raise ConfigError(f"dataset.test_size: {config.path} has a test/ folder, which is the test split; "
                          "remove dataset.test_size")
    if config.class_names is not None and tuple(config.class_names) != data.class_names:
        raise DataError(f"dataset.class_names: {', '.join(config.class_names)} differ from the class folders "
                        f"of {config.path} ({', '.join(data.class_names)}); remove dataset.class_names")
    settled = config.model_copy(update={"image_size": data.image_size, "color_mode": data.color_mode,
                                        "class_names": list(data.class_names)})
    return _Source((data.x_train, data.y_train), test, len(data.class_names), 255.0, data.describe(root),
                   data.class_names, settled)


def _from_csv(config: DatasetConfig) -> Pair:
    from fitbench.data._csv import read_csv_images

    x, y = read_csv_images(str(config.path))
    if y is None:
        raise DataError(f"{config.path}: no label column, so it cannot be trained or evaluated on; "
                        "predict on it instead: fitbench predict RUN FILE")
    return x, y


Pair = tuple[np.ndarray, np.ndarray]


def _split(pair: Pair, size: float | int, config: DatasetConfig) -> tuple[Pair, Pair]:
    """``train_test_split`` of ``pair`` into (rest, held out); ``size`` is the held-out part."""
    x, y = pair
    if isinstance(size, int) and size >= len(y):
        raise ConfigError(f"dataset: asked to hold out {size} images but only {len(y)} are available; use a smaller size")
    index = np.arange(len(y))
    # Splitting indexes gives the same permutation as splitting (x, y) themselves, since
    # ShuffleSplit only looks at the number of samples (StratifiedShuffleSplit also at y).
    from sklearn.model_selection import train_test_split  # scikit-learn takes a second to import

    keep, held = train_test_split(index, test_size=size, random_state=config.seed,
                                  stratify=y if config.stratify else None)
    return (x[keep], y[keep]), (x[held], y[held])


def _three_way(pair: Pair, config: DatasetConfig) -> tuple[Pair, Pair, Pair]:
    """Test first (``test_size`` of all), then validation (``val_size`` of the rest)."""
    rest, test = _split(pair, config.test_size if config.test_size is not None else 0.2, config)
    train, val = _split(rest, config.val_size, config)
    if config.train_size is not None:
        train = _take_train(train, config.train_size)
    return train, val, test


def _fold(train: Pair, val: Pair, config: DatasetConfig) -> tuple[Pair, Pair]:
    """k-fold cross-validation: the training images (train + val) in stratified folds;
    fold ``config.fold`` validates, the others train. The test split is untouched."""
    x, y = np.concatenate([train[0], val[0]]), np.concatenate([train[1], val[1]])
    from sklearn.model_selection import StratifiedKFold

    assert config.folds is not None and config.fold is not None  # DatasetConfig sets both or neither
    folds = StratifiedKFold(n_splits=config.folds, shuffle=True, random_state=config.seed)
    keep, held = list(folds.split(x, y))[config.fold]
    return (x[keep], y[keep]), (x[held], y[held])


def _take_train(train: Pair, size: float | int) -> Pair:
    # The split is already shuffled, so the first `count` images are a random subset.
    count = size if isinstance(size, int) else round(size * len(train[1]))
    if count > len(train[1]):
        raise ConfigError(
            f"dataset.train_size: expected at most {len(train[1])} images (what is left after the "
            f"validation and test splits), got {count}"
        )
    return train[0][:count], train[1][:count]


def _limit(pair: Pair, limit: int | None) -> Pair:
    return pair if limit is None else (pair[0][:limit], pair[1][:limit])


def _scale(pair: Pair, divisor: float) -> Pair:
    return (pair[0].astype(np.float32) / np.float32(divisor)), pair[1].astype(np.int32)


def _idx_classes(labels: np.ndarray, config: DatasetConfig, *, where: str) -> int:
    classes = config.num_classes or inferred_classes(labels, where=where, key="dataset.num_classes")
    _check_labels(labels, classes, where=where, key="dataset.num_classes")
    return classes


def inferred_classes(labels: np.ndarray, *, where: str, key: str = "num_classes") -> int:
    """The class count from the labels (largest + 1), refused when most of those classes never
    appear: labels all 255 would otherwise make a silent 256-class model."""
    classes = int(labels.max()) + 1 if len(labels) else 0
    present = len(np.unique(labels))
    if classes > 2 * present:
        raise DataError(
            f"{where}: labels go up to {classes - 1} but only {present} distinct values appear, so a "
            f"{classes}-class model would be mostly unused; check the labels file, or set {key} if this is right"
        )
    return classes


def _check_labels(labels: np.ndarray, classes: int, *, where: str, key: str = "num_classes") -> None:
    bad = labels[(labels < 0) | (labels >= classes)]
    if len(bad):
        raise DataError(
            f"{where}: labels must be integers in 0..{classes - 1}, got {len(bad)} outside that "
            f"range (e.g. {bad[0]}); fix the labels or set {key}"
        )


def _as_pair(pair: tuple[Any, Any] | None, split: str) -> Pair | None:
    if pair is None:
        return None
    try:
        x, y = pair
    except (TypeError, ValueError):
        raise ConfigError(f"{split} data: expected a pair (x, y) of arrays, got {type(pair).__name__}") from None
    x, y = np.asarray(x), _class_numbers(np.asarray(y))
    if y.ndim != 1 or len(x) != len(y) or x.ndim < 2:
        raise DataError(
            f"{split} data: expected x of shape (n, ...) and integer labels y of shape (n,), "
            f"got x {x.shape} and y {y.shape}"
        )
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.mod(y, 1) == 0):
            raise DataError(f"{split} data: labels must be whole class numbers, got {y[:3]}...")
    return x.astype(np.float32), y.astype(np.int32)


def _class_numbers(y: np.ndarray) -> np.ndarray:
    """One-hot labels ``(n, classes)`` (Keras' categorical_crossentropy takes them) as class
    numbers ``(n,)``, fitbench's labels; anything else as it is."""
    if y.ndim == 2 and y.shape[1] > 1 and len(y) and np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all():
        return y.argmax(axis=1)
    return y


def _empty_like(pair: Pair | None) -> Pair:
    x, y = pair  # type: ignore[misc]
    return np.zeros((0, *x.shape[1:]), np.float32), np.zeros((0,), np.int32)
