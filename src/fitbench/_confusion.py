"""What a confusion matrix says, numbers only: per-class precision, recall and F1, and the most
confused pairs. Run folders record them (``runs._write``), plots draw them, reports list them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from fitbench.errors import DataError


class ConfusionMatrix(NamedTuple):
    """``counts[i][j]``: images of true class i predicted as j."""

    counts: np.ndarray  # (classes, classes) int
    labels: list[str]
    split: str

    @property
    def accuracy(self) -> float:
        total = int(self.counts.sum())
        return float(np.trace(self.counts) / total) if total else 0.0


class ClassScore(NamedTuple):
    label: str
    precision: float
    recall: float
    f1: float
    support: int


class ConfusedPair(NamedTuple):
    """``count`` images of class ``true`` were predicted as ``predicted``."""

    true: str
    predicted: str
    count: int  # type: ignore[assignment]  # shadows tuple.count on purpose: the public field name
    share: float  # of all images of the true class

    def __str__(self) -> str:
        return f"{self.true} read as {self.predicted}: {self.count} time{'s' if self.count != 1 else ''}"


def confusion_matrix(counts: Sequence[Sequence[int]] | np.ndarray, labels: Sequence[str] | None = None,
                     split: str = "") -> ConfusionMatrix:
    """A checked square matrix with class labels (``0..k-1`` when none are given)."""
    array = np.asarray(counts, dtype=np.int64)
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise DataError(f"a confusion matrix must be square, got shape {array.shape}")
    names = list(labels) if labels is not None else [str(k) for k in range(len(array))]
    if len(names) != len(array):
        names = [str(k) for k in range(len(array))]
    return ConfusionMatrix(array, names, split)


def _labels_from_counts(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # One (true, predicted) pair per image, so scikit-learn can score the matrix directly.
    true, predicted = np.nonzero(counts)
    repeats = counts[true, predicted]
    return np.repeat(true, repeats), np.repeat(predicted, repeats)


def per_class_scores(matrix: ConfusionMatrix) -> list[ClassScore]:
    """Precision, recall, F1 and support of each class (scikit-learn's, zero_division=0)."""
    from sklearn.metrics import precision_recall_fscore_support

    y_true, y_pred = _labels_from_counts(matrix.counts)
    classes = list(range(len(matrix.labels)))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=classes, zero_division=0)
    return [ClassScore(matrix.labels[k], float(precision[k]), float(recall[k]), float(f1[k]), int(support[k]))
            for k in classes]


def confused_pairs(matrix: ConfusionMatrix, *, top: int = 5) -> list[ConfusedPair]:
    """The ``top`` off-diagonal cells, largest first ("4 read as 9: 23 times")."""
    off = matrix.counts.copy()
    np.fill_diagonal(off, 0)
    per_class = matrix.counts.sum(axis=1)
    order = np.argsort(-off, axis=None, kind="stable")[:top]
    pairs = []
    for flat in order:
        i, j = divmod(int(flat), len(off))
        if off[i, j] == 0:
            break
        pairs.append(ConfusedPair(matrix.labels[i], matrix.labels[j], int(off[i, j]),
                                  float(off[i, j] / per_class[i]) if per_class[i] else 0.0))
    return pairs
