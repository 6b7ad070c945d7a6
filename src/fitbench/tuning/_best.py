"""The study's chosen trial (the best one; on a Pareto front, the best score), and its trials by state."""

from __future__ import annotations

import optuna


def best_trial(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    """The best complete trial; multi-objective: the best score on the Pareto front."""
    if len(study.directions) == 1:
        try:
            return study.best_trial
        except ValueError:  # no complete trial
            return None
    front = study.best_trials
    if not front:
        return None
    # The best score on the front; between equal scores, the smaller model.
    if study.directions[0] == optuna.study.StudyDirection.MAXIMIZE:
        return max(front, key=lambda trial: (trial.values[0], -trial.values[1]))
    return min(front, key=lambda trial: (trial.values[0], trial.values[1]))


def state_counts(study: optuna.Study) -> dict[str, int]:
    states = [trial.state.name.lower() for trial in counted_trials(study)]
    return {state: states.count(state) for state in dict.fromkeys(states)}


def counted_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    # A surplus trial (two workers raced for the last one) never trained: leave it out.
    return [trial for trial in study.get_trials(deepcopy=False) if not trial.user_attrs.get("surplus")]
