"""HTML for a cross-validation: each fold's scores and the vote."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

from fitbench.display._render import render

if TYPE_CHECKING:
    from fitbench.crossval import CrossValidation


def crossval_html(result: CrossValidation) -> str:
    """Each fold's validation and test score, their spread, and the vote of the k models."""
    rows = [[k + 1, acc, f1, test] for k, (acc, f1, test) in
            enumerate(zip(result.fold_accuracy, result.fold_macro_f1, result.test_single_accuracy))]
    return render("crossval.html.j2", folds=len(result.runs), rows=rows, mean=result.mean, sd=result.sd,
                  vote_accuracy=result.vote_accuracy, vote_macro_f1=result.vote_macro_f1,
                  single=statistics.mean(result.test_single_accuracy))
