"""What a worker shows: a step of fitbench.progress per finished trial; and keeping Optuna's own logging quiet."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import optuna

from fitbench.progress import choose_mode, open_display, plural
from fitbench.tuning._objective import COUNTED
from fitbench.tuning._schema import SearchConfig

if TYPE_CHECKING:
    from fitbench.tuning._worker import WorkerSpec


def count_trials(study: optuna.Study) -> tuple[int, int]:
    """(finished trials that count, running ones) in the storage right now."""
    trials = study.get_trials(deepcopy=False, states=COUNTED + (optuna.trial.TrialState.RUNNING,))
    finished = sum(trial.state in COUNTED for trial in trials)
    return finished, len(trials) - finished


class Progress:
    """A step per finished trial: trial n of N, its state and value, the best so far.

    Several workers share one terminal, so each writes plain lines, tagged with its number.
    """

    def __init__(self, search: SearchConfig, spec: WorkerSpec) -> None:
        self.search, self.spec = search, spec
        self.tag = f" [worker {spec.index + 1}/{spec.workers}]" if spec.workers > 1 else ""
        mode = choose_mode(spec.verbose)
        self.display = open_display("lines" if mode == "terminal" and spec.workers > 1 else mode, total=spec.trials)

    def say(self, text: str) -> None:
        self.display.step(f"{text}{self.tag}")

    def close(self) -> None:
        self.display.close()

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if trial.user_attrs.get("surplus") or not self.spec.verbose:
            return  # quiet: no line, so no storage queries for its counts (each reads every trial)
        finished, _ = count_trials(study)
        seconds = trial.duration.total_seconds() if trial.duration else 0.0
        state = trial.state.name.lower()
        if trial.state == optuna.trial.TrialState.FAIL:
            self.say(f"trial #{trial.number} failed (not counted, {seconds:.1f} s)")
            return
        epochs = trial.user_attrs.get("epochs_run")
        detail = f" after epoch {epochs}" if trial.state == optuna.trial.TrialState.PRUNED and epochs else ""
        self.say(f"trial {finished} of {self.spec.trials}: #{trial.number} {state}{detail}, "
                 f"{self._value(trial)} ({seconds:.1f} s); {self._best(study)}")

    def _value(self, trial: optuna.trial.FrozenTrial) -> str:
        if trial.values is None:
            return f"{self.search.objective} -"
        text = f"{self.search.objective} {trial.values[0]:.4f}"
        return text + (f", {int(trial.values[1]):,} parameters" if len(trial.values) > 1 else "")

    def _best(self, study: optuna.Study) -> str:
        if self.search.multi_objective:
            return f"Pareto front: {plural(len(study.best_trials), 'trial')}"
        try:
            best = study.best_trial
        except ValueError:  # no complete trial yet
            return "no complete trial yet"
        return f"best {best.value:.4f} (#{best.number})"


@contextlib.contextmanager
def quiet_optuna() -> Iterator[None]:
    """Optuna's own INFO lines would repeat ours; its warnings for surplus trials are noise."""
    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(previous)
