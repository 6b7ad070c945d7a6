"""Train one model per fold of the training images; score each on its held-out fold, and
let the k models vote on the test split (the course mentions this, but never does it)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fitbench._display_names import ShownAsHtml
from fitbench import _io
from fitbench.config import Experiment, load_experiment
from fitbench.errors import ConfigError
from fitbench.evaluation import score_predictions
from fitbench.models import predict
from fitbench.trained import Run
from fitbench.training import run_or_reuse

SUMMARY = "crossval.json"


@dataclass(frozen=True)
class CrossValidation(ShownAsHtml):
    """Fold scores (each model on the fold it did not train on) and the vote on test."""

    runs: list[Run]
    fold_accuracy: list[float]
    fold_macro_f1: list[float]
    test_single_accuracy: list[float]
    vote_accuracy: float
    vote_macro_f1: float

    @property
    def mean(self) -> float:
        return statistics.mean(self.fold_accuracy)

    @property
    def sd(self) -> float:
        return statistics.stdev(self.fold_accuracy) if len(self.fold_accuracy) > 1 else 0.0

    def summary(self) -> str:
        single = statistics.mean(self.test_single_accuracy)
        return (f"{len(self.runs)}-fold validation accuracy {self.mean:.4f} +/- {self.sd:.4f}; "
                f"on test, the vote of the {len(self.runs)} models {self.vote_accuracy:.4f} "
                f"vs {single:.4f} for one model on average")

    def to_dict(self) -> dict[str, Any]:
        return {"folds": len(self.runs), "runs": [str(run.path) for run in self.runs],
                "fold_accuracy": self.fold_accuracy, "fold_macro_f1": self.fold_macro_f1,
                "mean": self.mean, "sd": self.sd, "test_single_accuracy": self.test_single_accuracy,
                "vote_accuracy": self.vote_accuracy, "vote_macro_f1": self.vote_macro_f1}


def cross_validate(
    experiment: Experiment | str | Path,
    folds: int = 5,
    *,
    runs_dir: str | Path | None = None,
    overrides: list[str] | None = None,
    dataset: str | None = None,
    data_dir: str | Path | None = None,
    verbose: bool = True,
    on_fold: Callable[[int], list[Any]] | None = None,
) -> CrossValidation:
    """Train ``folds`` models on stratified folds of the training images (train + val), as
    ``fitbench cv`` does.

    Args:
        experiment: an experiment file, a bundled experiment's name (``"first"``) or an Experiment.
        runs_dir: where the folds' runs and ``crossval.json`` go; default ``runs/cv-<name>``.
        overrides, dataset, data_dir: as ``--set KEY=VALUE``, ``--dataset`` and ``--data-dir``.
        on_fold: ``on_fold(i)`` may return extra Keras callbacks for fold ``i`` (progress displays).

    Folds already trained in ``runs_dir`` are reused, a fold cut short is resumed, so an
    interrupted cross-validation continues where it stopped.
    """
    if folds < 2:
        raise ConfigError(f"folds: expected at least 2 folds, got {folds}")
    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment, overrides, dataset=dataset, data_dir=data_dir)
    elif overrides or dataset is not None or data_dir is not None:
        raise ConfigError("cross_validate(): overrides, dataset and data_dir apply to an experiment file or name")
    runs_dir = Path("runs") / f"cv-{experiment.name}" if runs_dir is None else Path(runs_dir)
    runs = []
    for fold in range(folds):
        split = experiment.dataset.model_copy(update={"folds": folds, "fold": fold})
        member = experiment.model_copy(update={"name": f"{experiment.name}-fold{fold + 1}", "dataset": split})
        run, _ = run_or_reuse(member, runs_dir=runs_dir, verbose=verbose,
                              callbacks=on_fold(fold) if on_fold else None)
        runs.append(run)
    result = _score(runs)
    _io.write_json(runs_dir / SUMMARY, result.to_dict())
    return result


def _score(runs: list[Run]) -> CrossValidation:
    x_test, y_test = runs[0].data.split("test")
    probabilities = [predict(run.model, x_test) for run in runs]
    voted = score_predictions("test", y_test, _one_hot(vote(probabilities), probabilities[0].shape[1]))
    return CrossValidation(
        runs=runs,
        fold_accuracy=[run.metrics.splits["val"].accuracy for run in runs],
        fold_macro_f1=[run.metrics.splits["val"].macro_f1 for run in runs],
        test_single_accuracy=[run.metrics.splits["test"].accuracy for run in runs],
        vote_accuracy=voted.accuracy, vote_macro_f1=voted.macro_f1,
    )


def vote(probabilities: list[np.ndarray]) -> np.ndarray:
    """Majority vote of the models' predicted labels; ties go to the larger summed probability."""
    classes = probabilities[0].shape[1]
    ballots = sum(_one_hot(p.argmax(axis=1), classes) for p in probabilities)
    return np.argmax(ballots + 1e-6 * sum(probabilities), axis=1)


def _one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes)[labels]
