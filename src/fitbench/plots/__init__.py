"""Pictures of data, training and models. Each picture is a pure function that computes its
numbers (small named tuples, tested) and a thin ``plot_*(..., ax=None)`` that draws them with
matplotlib, imported only when drawing; figures render with Agg and never touch pyplot.

>>> from fitbench import plots
>>> curves = plots.history_curves(run.history, run.metrics, run.config)
>>> plots.plot_history(curves).savefig("history.png")
"""

from __future__ import annotations

from fitbench.plots._architecture import (
    Architecture,
    EdgeRoute,
    LayerNode,
    drawing_problem,
    layout,
    plot_architecture,
)
from fitbench._confusion import (  # the numbers the confusion pictures draw, computed below plots
    ClassScore,
    ConfusedPair,
    ConfusionMatrix,
    confused_pairs,
    confusion_matrix,
    per_class_scores,
)
from fitbench.plots._confusion import plot_confused_pairs, plot_confusion_matrix, plot_per_class_table
from fitbench.plots._figure import integer_ticks, png_bytes, save_png
from fitbench.plots._history import HistoryCurves, history_curves, plot_history
from fitbench.plots._images import (
    GRID_IMAGES,
    LEAK_PAIRS,
    TOP_LOSSES,
    ImageGrid,
    TopLoss,
    as_images,
    attribution_grid,
    leak_grid,
    mistake_grid,
    plot_image_grid,
    sample_grid,
    shown_indices,
    top_loss_grid,
    top_losses,
)
from fitbench.plots._learning_curve import SizePoint, plot_score_by_train_size, score_by_train_size

__all__ = [
    "GRID_IMAGES",
    "LEAK_PAIRS",
    "TOP_LOSSES",
    "Architecture",
    "ClassScore",
    "ConfusedPair",
    "ConfusionMatrix",
    "EdgeRoute",
    "HistoryCurves",
    "ImageGrid",
    "LayerNode",
    "SizePoint",
    "TopLoss",
    "as_images",
    "attribution_grid",
    "leak_grid",
    "confused_pairs",
    "confusion_matrix",
    "history_curves",
    "integer_ticks",
    "layout",
    "mistake_grid",
    "per_class_scores",
    "drawing_problem",
    "plot_architecture",
    "plot_confused_pairs",
    "plot_confusion_matrix",
    "plot_history",
    "plot_image_grid",
    "plot_per_class_table",
    "plot_score_by_train_size",
    "png_bytes",
    "sample_grid",
    "save_png",
    "shown_indices",
    "score_by_train_size",
    "top_loss_grid",
    "top_losses",
]
