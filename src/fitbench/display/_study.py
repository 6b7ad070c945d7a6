"""HTML for a tuning study: the best trial and its one test score, the optimisation history
and the parameter importances (matplotlib PNGs: Optuna's own plots need plotly's JavaScript)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fitbench.display._render import picture, render

if TYPE_CHECKING:
    import optuna

def study_html(study: optuna.Study) -> str:
    """The best trial (and its one test score), the optimisation history and the importances."""
    from fitbench.tuning import best_trial
    from fitbench.tuning._best import state_counts
    from fitbench.tuning._chosen import TEST_ATTR
    from fitbench.tuning._diagnosis import importances
    from fitbench.tuning._storage import ATTR
    from fitbench.tuning._tune import format_params

    best = best_trial(study)
    complete = [t for t in study.trials if t.values is not None]
    weights = importances(study)
    return render("study.html.j2", name=study.study_name,
                  counts=", ".join(f"{n} {state}" for state, n in state_counts(study).items()),
                  best=best, objective=study.user_attrs.get(ATTR, {}).get("objective", "score"),
                  params=format_params(best) if best is not None else "", test=study.user_attrs.get(TEST_ATTR),
                  history=picture(lambda: _plot_history([t.number for t in complete], [t.values[0] for t in complete],
                                                        maximize=_maximize(study))),
                  importance=picture(lambda: _plot_importances(weights)) if weights else None,
                  importance_note=importance_note(len(complete), bool(weights)))


def importance_note(complete: int, shown: bool) -> str:
    """What the importances rest on, or why there are none."""
    from fitbench.tuning._diagnosis import MIN_TRIALS_FOR_IMPORTANCE

    if shown:
        return f"Importances (fANOVA) from {complete} complete trials."
    if complete < MIN_TRIALS_FOR_IMPORTANCE:
        return (f"Importances need at least {MIN_TRIALS_FOR_IMPORTANCE} complete trials to mean anything; "
                f"this study has {complete}.")
    return f"No importances: the {complete} complete trials do not differ in their parameters or scores."


def _maximize(study: optuna.Study) -> bool:
    import optuna

    return study.directions[0] == optuna.study.StudyDirection.MAXIMIZE


def _plot_history(numbers: list[int], values: list[float], *, maximize: bool) -> Any:
    from matplotlib.figure import Figure

    from fitbench.plots import integer_ticks

    if not values:
        raise ValueError("no complete trial")
    best = [max(values[:k + 1]) if maximize else min(values[:k + 1]) for k in range(len(values))]
    figure = Figure(figsize=(5, 3), layout="constrained")
    ax = figure.subplots()
    ax.plot(numbers, values, "o", label="trial")
    ax.step(numbers, best, where="post", label="best so far")
    ax.set_xlabel("trial")
    integer_ticks(ax)  # trial numbers: 0, 1, 2, never 0.5
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
