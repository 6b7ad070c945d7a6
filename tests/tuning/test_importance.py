"""The study report says nothing about parameter importance from a handful of trials."""

from __future__ import annotations

import optuna

from fitbench.tuning._diagnosis import MIN_TRIALS_FOR_IMPORTANCE, diagnose, importances


def study_of(trials: int) -> optuna.Study:
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("shape.units", 0, 1) + 0.1 * t.suggest_int("seed", 0, 9),
                   n_trials=trials)
    return study


def test_three_trials_give_no_importance_conclusion():
    few = study_of(3)
    assert importances(few) == {}
    assert not [finding for finding in diagnose(few, {}) if finding.code == "seed_vs_shape"]
    assert importances(study_of(MIN_TRIALS_FOR_IMPORTANCE)) != {}


def test_a_trial_without_its_run_folder_gets_the_wilson_interval():
    # the run folder is on another machine: the interval comes from the score and n alone
    from fitbench._interval import wilson_interval
    from fitbench.tuning._diagnosis import score_interval

    trial = optuna.trial.create_trial(value=1.0, user_attrs={"val": {"n": 50}})
    low, high, n = score_interval(trial, "val_accuracy")
    assert (low, high) == wilson_interval(1.0, 50) and n == 50
    assert low < 1.0  # a perfect score on 50 images is not certain
