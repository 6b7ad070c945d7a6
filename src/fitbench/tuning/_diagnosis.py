"""What a study's numbers say, in sentences: computed here, drawn by the report.

- the test-set warning, when the trials were scored on test;
- "the seed matters as much as the architecture", when fANOVA gives ``training.seed`` at
  least as much of the score's variance as the model's shape;
- "within noise", when the runner-up's score lies inside the 95% interval of the best
  trial's validation score (bootstrapped from its confusion matrix);
- failed trials (a worker died, or an error) and their retries.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import optuna

from fitbench._interval import wilson_interval
from fitbench.diagnosis import Finding
from fitbench.runs import read_run

SEED_KEY = "training.seed"
SHAPE_PREFIX = "model."
RESAMPLES = 2000  # bootstrap resamples of a confusion matrix: enough for a stable 95% interval


def diagnose(study: optuna.Study, record: dict[str, Any]) -> list[Finding]:
    """Every finding that applies; ``record`` is the study's ``fitbench`` user attribute."""
    objective = record.get("objective", "val_macro_f1")
    findings = [test_split(objective)]
    findings.append(seed_vs_shape(importances(study), objective))
    findings.append(within_noise(ranked_trials(study), objective))
    findings.append(failed_trials(study))
    return [finding for finding in findings if finding is not None]


def test_split(objective: str) -> Finding | None:
    if not objective.startswith("test_"):
        return None
    return Finding("test_split", "warning",
                   "the trials were scored on the TEST split: the model was chosen by its test score, so that "
                   "score now overstates how it does on new images", f"objective {objective} (search.force_test)",
                   "score on validation (val_macro_f1) and keep test for one final check")


# fANOVA fits a random forest to the trials: with fewer, its importances are noise.
MIN_TRIALS_FOR_IMPORTANCE = 10


def complete_trials(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))


def importances(study: optuna.Study) -> dict[str, float]:
    """fANOVA importances of the first objective over complete trials (empty when too few to mean anything)."""
    if complete_trials(study) < MIN_TRIALS_FOR_IMPORTANCE:
        return {}
    try:
        return optuna.importance.get_param_importances(
            study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0),
            target=lambda trial: trial.values[0])
    except (RuntimeError, ValueError):  # fewer than two complete trials, or nothing varies
        return {}


def seed_vs_shape(weights: dict[str, float], objective: str) -> Finding | None:
    shape = {name: weight for name, weight in weights.items() if name.startswith(SHAPE_PREFIX)}
    if SEED_KEY not in weights or not shape:
        return None
    seed, architecture = weights[SEED_KEY], sum(shape.values())
    numbers = (f"{SEED_KEY} explains {seed:.0%} of the variance of {objective} across trials, the model's "
               f"shape ({', '.join(shape)}) {architecture:.0%} (fANOVA)")
    if seed >= architecture:
        return Finding("seed_vs_shape", "warning",
                       "the seed matters as much as the architecture: differences between these shapes are "
                       "within what a different weight initialisation gives", numbers,
                       "compare shapes over several seeds before preferring one")
    return Finding("seed_vs_shape", "info", "the shape matters more than the seed", numbers,
                   "compare the shapes by their scores")


def ranked_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """Complete trials, best first by the first objective."""
    trials = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    maximize = study.directions[0] == optuna.study.StudyDirection.MAXIMIZE
    return sorted(trials, key=lambda trial: trial.values[0], reverse=maximize)


def within_noise(ranked: list[optuna.trial.FrozenTrial], objective: str) -> Finding | None:
    if len(ranked) < 2:
        return None
    best, runner_up = ranked[0], ranked[1]
    interval = score_interval(best, objective)
    if interval is None:
        return None
    low, high, n = interval
    value, other = best.values[0], runner_up.values[0]
    if not low <= other <= high:
        return Finding("within_noise", "info",
                       f"the best trial #{best.number} ({value:.4f}) is ahead of the runner-up "
                       f"#{runner_up.number} ({other:.4f}) by more than the noise",
                       f"its 95% interval on {n:,} images is {low:.4f}..{high:.4f}",
                       f"keep trial #{best.number}'s configuration")
    sizes = _smaller_model(best, runner_up)
    return Finding("within_noise", "warning",
                   f"the best trial #{best.number} ({value:.4f}) is within noise of the runner-up "
                   f"#{runner_up.number} ({other:.4f})",
                   f"the 95% interval of #{best.number}'s {objective} on {n:,} images is {low:.4f}..{high:.4f}",
                   f"this validation set cannot tell them apart{sizes}")


def _smaller_model(best: optuna.trial.FrozenTrial, other: optuna.trial.FrozenTrial) -> str:
    mine, theirs = best.user_attrs.get("parameters"), other.user_attrs.get("parameters")
    if mine is None or theirs is None or theirs >= mine:
        return ""
    return f"; prefer the smaller model: #{other.number} has {theirs:,} parameters, #{best.number} {mine:,}"


def score_interval(trial: optuna.trial.FrozenTrial, objective: str) -> tuple[float, float, int] | None:
    """95% interval (low, high, images) of the trial's accuracy or macro F1; None for a loss."""
    split, _, metric = objective.partition("_")
    if metric not in ("accuracy", "macro_f1"):
        return None
    matrix = _confusion_matrix(trial, split)
    if matrix is not None:
        low, high = bootstrap_interval(matrix, metric)
        return low, high, int(matrix.sum())
    n = (trial.user_attrs.get("val") or {}).get("n")
    if not n or split != "val":
        return None
    # No run folder here (another machine): Wilson's interval of a proportion.
    low, high = wilson_interval(trial.values[0], int(n))
    return low, high, int(n)


def bootstrap_interval(matrix: np.ndarray, metric: str, *, seed: int = 0) -> tuple[float, float]:
    """2.5th and 97.5th percentiles of ``metric`` over images resampled with replacement.

    Resampling the images is resampling the cells of the confusion matrix ``(k, k)``.
    """
    rng = np.random.default_rng(seed)
    counts = matrix.astype(np.int64).ravel()
    samples = rng.multinomial(counts.sum(), counts / counts.sum(), size=RESAMPLES)  # (R, k*k)
    cms = samples.reshape(RESAMPLES, *matrix.shape)  # (R, k, k): rows true, columns predicted
    tp = np.diagonal(cms, axis1=1, axis2=2).astype(np.float64)  # (R, k)
    if metric == "accuracy":
        scores = tp.sum(axis=1) / counts.sum()
    else:
        denominator = cms.sum(axis=1) + cms.sum(axis=2)  # (R, k): 2tp + fp + fn
        f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
        scores = f1.mean(axis=1)
    low, high = np.percentile(scores, [2.5, 97.5])
    return float(low), float(high)


def _confusion_matrix(trial: optuna.trial.FrozenTrial, split: str) -> np.ndarray | None:
    path = trial.user_attrs.get("run")
    if not path:
        return None
    metrics = read_run(path).metrics
    scores = metrics.split(split) if metrics else None
    return np.asarray(scores.confusion_matrix) if scores else None


def failed_trials(study: optuna.Study) -> Finding | None:
    failed = [trial for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.FAIL,))
              if not trial.user_attrs.get("surplus")]
    if not failed:
        return None
    # RetryFailedTrialCallback lists the failed trials a retry descends from; the last is its parent.
    retried = {trial.system_attrs["retry_history"][-1]: trial.number
               for trial in study.get_trials(deepcopy=False) if trial.system_attrs.get("retry_history")}
    parts = [f"#{trial.number}" + (f" (retried as #{retried[trial.number]})" if trial.number in retried else "")
             for trial in failed]
    return Finding("failed", "info", f"{len(failed)} trial(s) failed and do not count", ", ".join(parts),
                   "nothing to do: a worker that dies mid-trial (kill -9, out of memory) leaves one; its "
                   "heartbeat stops, and after the grace period the trial is marked failed and tried again")
