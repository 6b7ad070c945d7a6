"""``tune``: run (or continue) a study, then read the chosen trial's test score once."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import optuna

from fitbench.config import Experiment
from fitbench.errors import ConfigError
from fitbench.progress import Display, Lines, plural
from fitbench.tuning._best import best_trial
from fitbench.tuning._chosen import TEST_ATTR, record_test_of_best
from fitbench.tuning._processes import run_processes
from fitbench.tuning._progress import count_trials, quiet_optuna
from fitbench.tuning._study_file import write_study_file
from fitbench.tuning._storage import (
    check_study_name, default_storage, open_storage, open_study, storage_errors, without_password,
)
from fitbench.tuning._tuning import Tuning, load_tuning
from fitbench.tuning._worker import WorkerSpec

def tune(
    source: str | Path | Experiment | dict[str, Any] | Tuning,
    *,
    trials: int | None = None,
    timeout: float | None = None,
    workers: int = 1,
    storage: str | None = None,
    study: str | None = None,
    runs_dir: str | Path = "runs",
    search: dict[str, Any] | None = None,
    overrides: list[str] | None = None,
    dataset: str | None = None,
    data_dir: str | Path | None = None,
    verbose: bool = True,
    progress: bool | None = None,
) -> optuna.Study:
    """Run the study a tuning file describes (or continue it) and return it.

    Args:
        source: a tuning file, a bundled one's name (``"tune"``), a document, or an
            ``Experiment`` together with ``search``.
        trials: the total number of finished trials wanted (default: ``search.trials``);
            trials already in the storage count.
        timeout: seconds after which no new trial starts (default: ``search.timeout``).
        workers: worker processes on this machine, sharing the storage.
        storage: an SQLAlchemy URL; default ``sqlite:///<runs_dir>/studies.db``.
        study: the study's name; default the experiment's name (the bundled ``tune``:
            ``course-tuning``), which ``fitbench tune-report NAME`` and ``load_study`` take.
        overrides, dataset, data_dir: as ``fitbench tune``'s ``--set KEY=VALUE``, ``--dataset``
            (``"digits"`` needs no download) and ``--data-dir``.
        verbose: show the start and the summary (the best trial last).
        progress: a line (or a bar) per trial; None: as ``verbose``.
    """
    tuning = load_tuning(source, search, overrides=overrides, dataset=dataset, data_dir=data_dir)
    total = _positive("trials", trials if trials is not None else tuning.search.trials)
    workers = _positive("workers", workers)
    seconds = timeout if timeout is not None else tuning.search.timeout
    if seconds is not None and seconds <= 0:
        raise ConfigError(f"timeout: expected a number of seconds > 0, got {seconds!r}")
    name = check_study_name(study or tuning.experiment.name)
    url = storage or default_storage(runs_dir)
    with quiet_optuna(), storage_errors(url):
        result = open_study(tuning, open_storage(url, tuning.search.heartbeat), name)
        spec = WorkerSpec(tuning=tuning.to_dict(), storage=url, study=name,
                          runs_dir=str((Path(runs_dir) / name).resolve()), trials=total,
                          deadline=None if seconds is None else time.time() + seconds,
                          workers=workers, verbose=verbose if progress is None else progress)
        lines = Lines() if verbose else Display()
        lines.note(_start_line(spec, result))
        notes = run_processes(spec, workers)
        result = optuna.load_study(study_name=name, storage=open_storage(url))
        test = record_test_of_best(result)
        write_study_file(result, tuning, Path(spec.runs_dir))
    for line in [*notes, *summary_lines(result, tuning, total, test)]:
        lines.note(line)
    return result


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name}: expected a whole number >= 1, got {value!r}")
    return value


def _start_line(spec: WorkerSpec, study: optuna.Study) -> str:
    finished, _ = count_trials(study)
    already = f", {finished} already finished" if finished else ""
    return (f"study {spec.study!r} (its name for fitbench tune-report): {plural(spec.trials, 'trial')} in total"
            f"{already}, {plural(spec.workers, 'worker')}; storage {without_password(spec.storage)}; "
            f"runs in {spec.runs_dir}")


def summary_lines(study: optuna.Study, tuning: Tuning, total: int, test: dict[str, Any] | None) -> list[str]:
    """The study in a few lines; the best trial's number, value and parameters come last."""
    states = [trial.state for trial in study.get_trials(deepcopy=False) if not trial.user_attrs.get("surplus")]
    counts = {state.name.lower(): states.count(state) for state in optuna.trial.TrialState if states.count(state)}
    lines = [f"study {study.study_name}: " + ", ".join(f"{n} {state}" for state, n in counts.items())
             + f" (asked for {total}); its report: fitbench tune-report {study.study_name}"]
    search = tuning.search
    if search.multi_objective:
        lines += [f"Pareto front: #{trial.number} {search.objective} {trial.values[0]:.4f}, "
                  f"{int(trial.values[1]):,} parameters" for trial in sorted(study.best_trials, key=lambda t: t.values[1])]
    best = best_trial(study)
    if best is None:
        return [*lines, "no complete trial yet: run the same command again to continue the study"]
    if search.split == "test":
        lines.append("warning: the trials were scored on the TEST split (search.force_test); "
                     "the score below is not an estimate of performance on new images")
    if test is not None and "missing" not in test:
        lines.append(f"test split, read once for the best trial: accuracy {test['accuracy']:.4f}, "
                     f"macro F1 {test['macro_f1']:.4f}, loss {test['loss']:.4f} ({test['n']:,} images)")
    elif test is not None:
        lines.append(f"test split: {test['missing']}")
    return [*lines, f"best trial: {best.number} ({best.user_attrs.get('run', 'no run folder')})",
            f"best value: {search.objective} {best.values[0]:.6f}", "best params: " + format_params(best)]


def format_params(trial: optuna.trial.FrozenTrial) -> str:
    values = trial.user_attrs.get("values") or trial.params
    return ", ".join(f"{key}={json.dumps(value)}" for key, value in values.items())
