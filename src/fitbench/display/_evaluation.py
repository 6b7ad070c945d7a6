"""HTML for an Evaluation: scores, the confusion heatmap, per-class F1."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fitbench import plots
from fitbench.display._render import picture, render

if TYPE_CHECKING:
    from fitbench.evaluation import Evaluation


def evaluation_html(evaluation: Evaluation) -> str:
    """Scores, the confusion matrix as a heatmap, and the F1 of every class."""
    matrix = plots.confusion_matrix(evaluation.confusion_matrix, split=evaluation.split)
    return render("evaluation.html.j2", e=evaluation,
                  confusion=picture(lambda: plots.plot_confusion_matrix(matrix)),
                  per_class=[[label, f1] for label, f1 in zip(matrix.labels, evaluation.per_class_f1)])
