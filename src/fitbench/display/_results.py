"""HTML for results of several runs: a comparison, a cross-validation."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

from fitbench.display._render import picture, render

if TYPE_CHECKING:
    from fitbench.crossval import CrossValidation
    from fitbench.report import Comparison

def comparison_html(comparison: Comparison) -> str:
    """The runs, best first, with each validation accuracy's 95% interval: the noise, stated."""
    rows = [[row.name, row.model, row.parameters, row.epochs_run, _interval(row.val_accuracy, row.val_half_width),
             row.val_macro_f1, row.test_accuracy] for row in comparison.rows]
    widths = [row.val_half_width for row in comparison.rows if row.val_half_width is not None]
    noise = (f"± is the 95% interval of each validation accuracy (up to {100 * max(widths):.1f} points here): "
             "runs whose intervals overlap are not shown to differ." if widths else
             "No validation split recorded: the noise of these scores is unknown.")
    return render("comparison.html.j2", rows=rows, noise=noise, verdicts=comparison.verdicts(),
                  headings=["run", "model", "params", "epochs", "val accuracy", "val F1", "test accuracy"],
                  curves=picture(comparison.plot_curves))


def _interval(value: float | None, half_width: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.4f} ± {half_width:.4f}" if half_width is not None else f"{value:.4f}"


def crossval_html(result: CrossValidation) -> str:
    """Each fold's validation and test score, their spread, and the vote of the k models."""
    rows = [[k + 1, acc, f1, test] for k, (acc, f1, test) in
            enumerate(zip(result.fold_accuracy, result.fold_macro_f1, result.test_single_accuracy))]
    return render("crossval.html.j2", folds=len(result.runs), rows=rows, mean=result.mean, sd=result.sd,
                  vote_accuracy=result.vote_accuracy, vote_macro_f1=result.vote_macro_f1,
                  single=statistics.mean(result.test_single_accuracy))
