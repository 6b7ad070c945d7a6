"""Pictures of what the model confuses, from a confusion matrix alone (metrics.json keeps one per
split): the heatmap, the per-class table and the most confused pairs. The numbers themselves are
``fitbench._confusion``'s."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from fitbench._confusion import ClassScore, ConfusedPair, ConfusionMatrix
from fitbench.plots._figure import Margins, new_axes, text_width

if TYPE_CHECKING:
    from matplotlib.axes import Axes


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
