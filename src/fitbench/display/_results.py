"""HTML for results of several runs: a comparison, a cross-validation, a tuning study."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any

from fitbench.display._render import picture, render

if TYPE_CHECKING:
    import optuna

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


def study_html(study: optuna.Study) -> str:
    """The best trial (and its one test score), the optimisation history and the importances."""
    from fitbench.tuning import best_trial
    from fitbench.tuning._diagnosis import MIN_TRIALS_FOR_IMPORTANCE, importances
    from fitbench.tuning._report import state_counts
    from fitbench.tuning._storage import ATTR
    from fitbench.tuning._tune import TEST_ATTR, format_params

    best = best_trial(study)
    complete = [t for t in study.trials if t.values is not None]
    weights = importances(study)  # empty under MIN_TRIALS_FOR_IMPORTANCE
    note = (f"Importances from {len(complete)} complete trials" +
            (f": too few to trust (fewer than {MIN_TRIALS_FOR_IMPORTANCE})." if len(complete) < MIN_TRIALS_FOR_IMPORTANCE else "."))
    return render("study.html.j2", name=study.study_name,
                  counts=", ".join(f"{n} {state}" for state, n in state_counts(study).items()),
                  best=best, objective=study.user_attrs.get(ATTR, {}).get("objective", "score"),
                  params=format_params(best) if best is not None else "", test=study.user_attrs.get(TEST_ATTR),
                  history=picture(lambda: _plot_history([t.number for t in complete], [t.values[0] for t in complete],
                                                        maximize=_maximize(study))),
                  importance=picture(lambda: _plot_importances(weights)) if weights else None,
                  importance_note=note if weights else "Importances need at least two complete trials that differ.")


def _maximize(study: optuna.Study) -> bool:
    import optuna

    return study.directions[0] == optuna.study.StudyDirection.MAXIMIZE


def _plot_history(numbers: list[int], values: list[float], *, maximize: bool) -> Any:
    from matplotlib.figure import Figure

    if not values:
        raise ValueError("no complete trial")
    best = [max(values[:k + 1]) if maximize else min(values[:k + 1]) for k in range(len(values))]
    figure = Figure(figsize=(5, 3), layout="constrained")
    ax = figure.subplots()
    ax.plot(numbers, values, "o", label="trial")
    ax.step(numbers, best, where="post", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel("score (validation)")
    ax.set_title("optimisation history")
    ax.legend(fontsize=8)
    return figure


def _plot_importances(weights: dict[str, float]) -> Any:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5, 0.5 + 0.35 * len(weights)), layout="constrained")
    ax = figure.subplots()
    names = list(weights)[::-1]
    ax.barh(names, [weights[name] for name in names])
    ax.set_xlabel("importance (fANOVA)")
    return figure
