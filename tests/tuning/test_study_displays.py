"""The study's displays: whole trial numbers on the history's axis, an importance note that
says what is missing, and plotly figures that fit the page."""

from __future__ import annotations

import optuna
import pytest

from fitbench.display._study import _plot_history, importance_note
from fitbench.tuning._diagnosis import MIN_TRIALS_FOR_IMPORTANCE
from fitbench.tuning._report import figures


def small_study(trials: int) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    for number in range(trials):
        trial = study.ask()
        a, b = trial.suggest_float("lr", 1e-4, 1e-2, log=True), trial.suggest_int("units", 16, 128)
        for epoch in (1, 2, 3):
            trial.report(0.5 + 0.01 * epoch + a + b / 1000, epoch)
        study.tell(trial, 0.5 + a + b / 1000 + 0.001 * number)
    return study


def test_the_history_axis_shows_whole_trial_numbers_only():
    figure = _plot_history([0, 1], [0.8, 0.9], maximize=True)
    ax = figure.axes[0]
    ticks = [tick for tick in ax.get_xticks() if ax.get_xlim()[0] <= tick <= ax.get_xlim()[1]]
    assert ticks and all(float(tick).is_integer() for tick in ticks)


@pytest.mark.parametrize("complete, shown, expected", [
    (2, False, f"at least {MIN_TRIALS_FOR_IMPORTANCE} complete trials to mean anything; this study has 2"),
    (12, False, "do not differ"),
    (12, True, "from 12 complete trials."),
])
def test_the_importance_note_says_what_is_missing(complete: int, shown: bool, expected: str):
    note = importance_note(complete, shown)
    assert expected in note and "at least two" not in note


def test_the_report_figures_fit_the_page_and_count_in_whole_numbers():
    study = small_study(4)
    found = {figure.title: figure for figure in figures(study, "val_macro_f1")}
    slices = found["Slices: the score against each parameter"]
    assert slices.html is not None and '"width":600' not in slices.html.replace(" ", "")  # Optuna's fixed width
    assert '"responsive":true' in slices.html.replace(" ", "")
    history = found["Optimisation history"].html
    assert history is not None and '"dtick":1' in history.replace(" ", "")
