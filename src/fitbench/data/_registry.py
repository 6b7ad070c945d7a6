"""The data sets fitbench knows, described once: read by loading, pictures, reports and the web page."""

from __future__ import annotations

from typing import NamedTuple

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
}


def class_names(dataset: str | None, classes: int) -> tuple[str, ...]:
    """The names of ``classes`` classes of the named data set ("0", "1"... when it has none)."""
    info = DATASETS.get(dataset or "")
    names = info.class_names if info else DIGIT_NAMES
    return names[:classes] if classes <= len(names) else tuple(str(k) for k in range(classes))


def pixel_max(dataset: str | None) -> float | None:
    """The raw pixel maximum of a known data set; None for arrays passed from Python."""
    info = DATASETS.get(dataset or "")
    return info.pixel_max if info else None
