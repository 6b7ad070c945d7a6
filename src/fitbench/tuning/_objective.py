"""One trial: sample values, train the experiment they describe, return its validation score.

Each trial is a normal ``run_experiment`` call, so it leaves a normal run folder; its path is
the trial's ``run`` user attribute. The trial's data has no test split: a trial scores train
and validation only, and the test split is read once, for the chosen trial, when the study
ends (``record_test_of_best``). Keras' global state is cleared after every trial, so a
worker's memory stays flat over many trials.
"""

from __future__ import annotations

import dataclasses
import os
import socket
from pathlib import Path

import optuna

from fitbench._keras import keras
from fitbench.config import DatasetConfig, Experiment
from fitbench.data import Dataset, load_from_config
from fitbench.errors import FitbenchError
from fitbench.runs import SavedRun, mark_pruned
from fitbench.training import run_experiment
from fitbench.training._results import Persist, now
from fitbench.tuning._pruning import PruningCallback
from fitbench.tuning._space import suggest
from fitbench.tuning._tuning import Tuning

# Trials that count towards the total, or will once they finish.
COUNTED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
ACTIVE = (optuna.trial.TrialState.RUNNING, optuna.trial.TrialState.WAITING)


class SurplusTrial(Exception):
    """Two workers started the last trial at once; the later one steps back (marked FAIL, not counted)."""


class Objective:
    """``objective(trial)`` for ``study.optimize``: a score, or (score, parameters) when multi-objective."""

    def __init__(self, tuning: Tuning, *, study_name: str, runs_dir: Path, trials: int,
                 persist: Persist = now) -> None:
        """``persist``: runs each trial folder's last writes (a worker passes its ``FolderWriter``)."""
        self.tuning, self.study_name, self.runs_dir, self.trials = tuning, study_name, runs_dir, trials
        self.persist = persist
        self._dataset: Dataset | None = None  # the last trial's data: the next one usually reads the same

    def __call__(self, trial: optuna.Trial) -> float | tuple[float, float]:
        check_not_surplus(trial, self.trials)
        trial.set_user_attr("worker", {"host": socket.gethostname(), "pid": os.getpid()})
        values = suggest(trial, self.tuning.space)
        trial.set_user_attr("values", values)  # the configuration as the experiment file spells it
        experiment = self.tuning.trial_experiment(values, name=f"{self.study_name}-t{trial.number:04d}")
        try:
            score, parameters, pruned = self._train(trial, experiment)
        finally:
            clean_keras_state()  # the trial's model died with _train's frame: this frees it
        if pruned is not None:
            raise optuna.TrialPruned(pruned)
        return (score, float(parameters)) if self.tuning.search.multi_objective else score

    def _train(self, trial: optuna.Trial, experiment: Experiment) -> tuple[float, int, str | None]:
        """Train the trial's experiment; (score, parameter count, why it was pruned or None)."""
        dataset = self._load(experiment.dataset)
        callback = self._pruning_callback(trial, dataset)
        run = run_experiment(experiment, runs_dir=self.runs_dir, verbose=False, dataset=dataset,
                             callbacks=[callback] if callback else None, persist=self.persist)
        score, parameters = self._record(trial, run)
        pruned = callback.pruned_message() if callback else None
        if pruned:
            # so `fitbench runs` lists it as pruned, not complete (after the folder's last writes)
            path, why = run.path, pruned
            self.persist(lambda: mark_pruned(path, why))
        return score, parameters, pruned

    def _record(self, trial: optuna.Trial, run: SavedRun) -> tuple[float, int]:
        metrics = run.metrics
        trial.set_user_attr("run", str(run.path.resolve()))
        for key in ("parameters", "epochs_run", "best_epoch", "wall_time_s", "engine"):
            if getattr(metrics, key) is not None:
                trial.set_user_attr(key, getattr(metrics, key))
        val = metrics.split("val")
        # Validation only: the test score stays in the run folder until the best trial is chosen.
        trial.set_user_attr("val", val.model_dump(include={"accuracy", "macro_f1", "loss", "n"}) if val else {})
        if metrics.interrupted:
            raise KeyboardInterrupt  # Ctrl-C during training: the trial is FAIL, the study stays resumable
        search = self.tuning.search
        split = metrics.split(search.split)
        if split is None:
            raise FitbenchError(f"{run.path}: this run has no {search.split} split to score {search.objective} on")
        return float(getattr(split, search.metric)), int(metrics.parameters or 0)

    def _pruning_callback(self, trial: optuna.Trial, dataset: Dataset) -> PruningCallback | None:
        search = self.tuning.search
        if search.multi_objective:
            return None  # Optuna cannot report intermediate values of a multi-objective trial
        monitor = search.objective if search.split == "val" else "val_" + search.metric
        data = (dataset.x_val, dataset.y_val) if monitor == "val_macro_f1" else None
        return PruningCallback(trial, monitor, validation_data=data)

    def _load(self, config: DatasetConfig) -> Dataset:
        # Reading and splitting Fashion-MNIST takes 0.3 to 1 s, as much as a trial pruned after an epoch.
        if self._dataset is None or self._dataset.config != config:
            dataset = load_from_config(config)
            self._dataset = dataset if self.tuning.search.split == "test" else without_test(dataset)
        return self._dataset


def without_test(dataset: Dataset) -> Dataset:
    """``dataset`` with an empty test split: what a trial may see (its config still names the
    whole data set, so the chosen trial's test split can be loaded again)."""
    return dataclasses.replace(dataset, x_test=dataset.x_test[:0], y_test=dataset.y_test[:0])


def check_not_surplus(trial: optuna.Trial, total: int) -> None:
    """Raise ``SurplusTrial`` when ``total`` trials are already finished or under way ahead of this one."""
    ahead = [other for other in trial.study.get_trials(deepcopy=False, states=COUNTED + ACTIVE)
             if other.number < trial.number]
    if len(ahead) >= total:
        trial.set_user_attr("surplus", True)  # reports leave it out
        raise SurplusTrial(f"trial {trial.number} is not needed: {total} trials are finished or running")


def clean_keras_state() -> None:
    """Drop everything Keras keeps between models (names, graphs); ``free_memory`` runs ``gc.collect()``."""
    keras.backend.clear_session(free_memory=True)
