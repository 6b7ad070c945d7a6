"""The data sets fitbench knows, described once: read by loading, pictures, reports and the web page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

DIGIT_NAMES = tuple(str(digit) for digit in range(10))


class DatasetInfo(NamedTuple):
    name: str
    source: str  # where it comes from, in a few words
    image_shape: tuple[int, ...] | None  # None: as the files say (idx)
    pixel_max: float  # the raw pixel range is 0..pixel_max
    class_names: tuple[str, ...]


DATASETS = {
    "mnist": DatasetInfo("mnist", "MNIST handwritten digits (Keras' mnist.npz)", (28, 28), 255.0, DIGIT_NAMES),
    "fashion_mnist": DatasetInfo(
        "fashion_mnist", "Zalando's Fashion-MNIST clothing images", (28, 28), 255.0,
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")),
    "digits": DatasetInfo("digits", "scikit-learn's bundled digits (1,797 8x8 images)", (8, 8), 16.0, DIGIT_NAMES),
    "idx": DatasetInfo("idx", "an IDX image/label pair", None, 255.0, DIGIT_NAMES),
    # class names: the subfolders' (recorded in the run's config as dataset.class_names)
    "folder": DatasetInfo("folder", "image files, one subfolder per class", None, 255.0, DIGIT_NAMES),
    "csv": DatasetInfo("csv", "a CSV file in Kaggle's digit-recognizer layout", None, 255.0, DIGIT_NAMES),
}


def class_names(dataset: str | None, classes: int) -> tuple[str, ...]:
    """The names of ``classes`` classes of the named data set ("0", "1"... when it has none)."""
    info = DATASETS.get(dataset or "")
    names = info.class_names if info else DIGIT_NAMES
    return names[:classes] if classes <= len(names) else tuple(str(k) for k in range(classes))


def recorded_class_names(section: Mapping[str, Any], classes: int) -> tuple[str, ...]:
    """The class names of a run's recorded ``dataset`` section: its ``class_names`` (an image
    folder's, or declared), else the registry's for its name."""
    names = section.get("class_names")
    if isinstance(names, list) and len(names) == classes and all(isinstance(name, str) for name in names):
        return tuple(names)
    name = section.get("name")
    return class_names(name if isinstance(name, str) else None, classes)


def pixel_max(dataset: str | None) -> float | None:
    """The raw pixel maximum of a known data set; None for arrays passed from Python."""
    info = DATASETS.get(dataset or "")
    return info.pixel_max if info else None
