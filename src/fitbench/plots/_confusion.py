"""What the model confuses, from a confusion matrix alone (metrics.json keeps one per split):
the heatmap, per-class precision/recall/F1, and the most confused pairs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from fitbench.errors import DataError
from fitbench.plots._figure import Margins, new_axes, text_width

if TYPE_CHECKING:
    from matplotlib.axes import Axes


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


def plot_confusion_matrix(matrix: ConfusionMatrix, ax: Axes | None = None) -> Axes:
    """Heatmap of the counts, each cell labelled with its count; rows are true classes."""
    rotate = max(map(len, matrix.labels)) > 2
    names = text_width(matrix.labels)
    # Left: class names and "true"; below: (slanted) names and "predicted"; right: the colorbar's labels.
    margins = Margins(left=names + 0.5, bottom=(0.71 * names if rotate else 0.2) + 0.4, right=0.8, top=0.4)
    side = 0.5 * len(matrix.labels)
    ax = new_axes(ax, (side + 1.3 + margins.left + margins.right, side + margins.bottom + margins.top), margins)
    counts = matrix.counts
    # Colour by share of the true class, so small classes' mistakes show as clearly as big ones'.
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label="share of the true class")
    for (i, j), count in np.ndenumerate(counts):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                    color="white" if shares[i, j] > 0.5 else "black")
    ticks = range(len(matrix.labels))
    ax.set_xticks(ticks, matrix.labels, rotation=45 if rotate else 0, ha="right" if rotate else "center")
    ax.set_yticks(ticks, matrix.labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    title = f"{matrix.split} confusion matrix" if matrix.split else "confusion matrix"
    ax.set_title(f"{title}: accuracy {matrix.accuracy:.4f}")
    return ax


def plot_per_class_table(scores: Sequence[ClassScore], ax: Axes | None = None) -> Axes:
    """Precision, recall, F1 and support per class as a table."""
    ax = new_axes(ax, (5.0, 0.28 * len(scores) + 0.8), Margins(0.1, 0.1, 0.1, 0.1))
    ax.set_axis_off()
    rows = [[s.label, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support)] for s in scores]
    table = ax.table(cellText=rows, colLabels=["class", "precision", "recall", "F1", "support"],
                     loc="center", cellLoc="right")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    return ax


def plot_confused_pairs(pairs: Sequence[ConfusedPair], ax: Axes | None = None) -> Axes:
    """Horizontal bars, the most confused pair on top."""
    names = [f"{p.true} read as {p.predicted}" for p in pairs][::-1]
    left = text_width(names) + 0.2
    ax = new_axes(ax, (3.8 + left, 0.35 * max(len(pairs), 1) + 1.0), Margins(left, bottom=0.5, right=0.45, top=0.35))
    if not pairs:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no mistakes", ha="center", va="center", transform=ax.transAxes)
        return ax
    counts = [p.count for p in pairs][::-1]
    ax.barh(names, counts, color="#e67e22")
    for y, count in enumerate(counts):
        ax.text(count, y, f" {count}", va="center", fontsize=8)
    ax.set_xlabel("images")
    ax.set_title("most confused pairs")
    return ax
