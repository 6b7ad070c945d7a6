"""What a run folder or a study folder holds, in the shape a tracking server takes.

Pure reading: no tracking library is imported here, so what is exported is tested on its own.
A run becomes a ``RunRecord``; a study folder (its trials are run folders, directly or under
``trials/``) becomes a ``StudyRecord`` holding one ``RunRecord`` per trial; a folder of both
(``runs/``) becomes the records of each.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from fitbench.errors import FitbenchError
from fitbench.export._artifacts import Artifact, declared_artifacts

__all__ = ["Record", "RunRecord", "Skipped", "StudyRecord", "read_records", "read_run", "read_study"]

MAX_VALUE = 500  # characters of a param or tag value: the smallest limit MLflow versions enforce
MAX_KEY = 250  # characters of a param name, MLflow's limit
# MLflow's SQL store takes about 80 us a metric step: 10,000 epochs of 5 series are 4 s. A course
# run has tens of epochs; a history.csv of 24,000 (within its size limit) took 10 s of CPU.
MAX_EXPORTED_EPOCHS = 10_000
# What MLflow takes in a name (letters, digits, _ - . space :; "/" left out, it would make paths).
_NOT_IN_KEY = re.compile(r"[^A-Za-z0-9_\-. :]")
_STATUS = {"complete": "FINISHED", "interrupted": "KILLED", "running": "RUNNING"}
_SCORES = ("accuracy", "macro_f1", "loss", "n")
_TOTALS = ("epochs_run", "best_epoch", "wall_time_s", "time_per_epoch_s", "parameters", "total_parameters")


class RunRecord(NamedTuple):
    key: str  # the tracking tag fitbench.run_id: a second export finds and updates this run
    name: str
    params: dict[str, str]  # the flattened config
    history: dict[str, list[float]]  # per-epoch series; step k is epoch k (1-based)
    scores: dict[str, float]  # final numbers: test.accuracy, epochs_run...
    tags: dict[str, str]
    artifacts: list[Artifact]  # the folder's declared files, copied through its reader when sent
    status: str  # FINISHED, KILLED, FAILED or RUNNING
    problems: list[str]  # damage in the folder, one line each: the intact rest is exported


class Skipped(NamedTuple):
    """A folder in a folder of runs that could not be read; the others are still exported."""

    path: Path
    reason: str


class StudyRecord(NamedTuple):
    key: str
    name: str
    tags: dict[str, str]
    scores: dict[str, float]  # the best objective value; the chosen trial's test score
    trials: list[RunRecord]
    params: dict[str, str] = {}  # the search settings and the chosen trial's values (study.json)


Record = RunRecord | StudyRecord | Skipped


def read_records(path: Path) -> list[Record]:
    """The records ``path`` holds: a run folder's, a study folder's, or (a folder of runs and
    studies, such as ``runs/``) those of each run and study in it.

    Raises:
        FitbenchError: no run folder (one with ``config.yaml``) in or under ``path``.
    """
    if (path / "config.yaml").is_file():
        return [read_run(path, path.name)]
    if _is_study(path):
        return [read_study(path)]
    # a symlinked child may lead outside the folder named: not entered
    children = sorted(child for child in path.iterdir() if _is_real_dir(child)) if path.is_dir() else []
    found = [record for child in children if (child / "config.yaml").is_file() or _is_study(child)
             for record in _read_or_skip(child)]
    if not found:
        raise FitbenchError(f"{path}: no run folders here (a run folder holds config.yaml); give runs/<run>, "
                            "runs/<study> or runs/")
    return found


def _read_or_skip(path: Path) -> list[Record]:
    try:
        return read_records(path)
    except FitbenchError as error:  # one damaged folder must not stop the others
        return [Skipped(path, str(error))]


def read_study(path: Path) -> StudyRecord:
    key = f"study:{path.name}"
    records = [read_run(trial, f"{key}/{trial.name}") for trial in _run_folders(_trials_folder(path))]
    best = max((r.scores["val.accuracy"] for r in records if "val.accuracy" in r.scores), default=None)
    scores = {"trials": float(len(records)), **({"best.val.accuracy": best} if best is not None else {})}
    tags = {"fitbench.run_id": key, "fitbench.kind": "study", "fitbench.path": str(path.resolve())}
    params, chosen = _study_file(path)
    return StudyRecord(key, path.name, tags, scores | chosen, records, params)


def _study_file(path: Path) -> tuple[dict[str, str], dict[str, float]]:
    """The parent run's params (the search settings, ``best.*`` the chosen trial's values) and
    scores (``best.<objective>``, ``chosen.test.*``) from ``study.json``, which ``fitbench tune``
    writes; nothing for a study folder without one (written before 0.8)."""
    from fitbench.runs._folder import read_json

    record = read_json(path / "study.json") or {}
    search, best, test = (_section(record, key) for key in ("search", "best", "test"))
    objective = record.get("objective")
    params = dict(flatten({"search": {**search, "objective": objective, "direction": record.get("direction")},
                           "best": {"trial": best.get("trial"), **_section(best, "params")}}))
    scores = {f"chosen.test.{key}": float(test[key]) for key in _SCORES if _is_number(test.get(key))}
    if isinstance(objective, str) and _is_number(best.get("value")):
        scores[f"best.{objective[:100]}"] = float(best["value"])
    return params, scores


def read_run(path: Path, key: str) -> RunRecord:
    from fitbench.runs import load_saved_run

    run = load_saved_run(path)
    config = run.config
    training = config.get("training") or {}
    version = run.environment.packages.get("fitbench") or _our_version()
    metrics = run.metrics.model_dump(mode="json")
    tags = {
        "fitbench.run_id": key, "fitbench.kind": "run", "fitbench.path": str(path.resolve()),
        "fitbench.state": run.state, "fitbench.version": str(version),
        "fitbench.engine": str(run.metrics.engine or training.get("engine", "")),
        "fitbench.seed": str(training.get("seed", "")),
        "fitbench.dataset": str((config.get("dataset") or {}).get("name", "")),
    }
    fingerprint = _fingerprint(config, metrics)
    if fingerprint:
        tags["fitbench.dataset_fingerprint"] = fingerprint
    artifacts, skipped = declared_artifacts(path)
    history = {param_name(key): values[:MAX_EXPORTED_EPOCHS] for key, values in run.history.items()}  # any column
    epochs = max(map(len, run.history.values()), default=0)
    cut = [f"history.csv has {epochs:,} epochs; the first {MAX_EXPORTED_EPOCHS:,} exported"] * (
        epochs > MAX_EXPORTED_EPOCHS)
    return RunRecord(key, run.name, dict(flatten(config)), history, _scores(metrics), _short(tags), artifacts,
                     _STATUS.get(run.state, "FAILED"), [*run.problems, *skipped, *cut])


def flatten(config: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """``("training.epochs", "25")`` for each leaf; lists as JSON, None left out."""
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from flatten(value, f"{name}.")
        elif value is not None:
            text = value if isinstance(value, str) else json.dumps(value)
            yield param_name(name), text[:MAX_VALUE]


def param_name(name: str) -> str:
    """``name`` as MLflow accepts it: a folder's config may hold any key (a control character
    made MLflow refuse the whole batch), so other characters become ``_``; never a leading dot."""
    key = _NOT_IN_KEY.sub("_", name)[:MAX_KEY]
    return key if key and not key.startswith(".") else f"_{key}"[:MAX_KEY]


def _scores(metrics: Mapping[str, Any]) -> dict[str, float]:
    scores = {}
    for split, values in (metrics.get("splits") or {}).items():
        for key in _SCORES:
            if isinstance(values, Mapping) and _is_number(values.get(key)):
                scores[f"{split}.{key}"] = float(values[key])
    scores |= {key: float(metrics[key]) for key in _TOTALS if _is_number(metrics.get(key))}
    return scores


def _section(record: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = record.get(key)
    return value if isinstance(value, Mapping) else {}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fingerprint(config: Mapping[str, Any], metrics: Mapping[str, Any]) -> str | None:
    # The data set's fingerprint, where the run folder records one.
    for section in (config.get("dataset"), metrics.get("dataset"), metrics):
        if isinstance(section, Mapping) and isinstance(section.get("fingerprint"), str):
            return str(section["fingerprint"])
    return None


def _trials_folder(path: Path) -> Path:
    trials = path / "trials"
    return trials if _is_real_dir(trials) else path  # a symlinked trials/ may lead anywhere: not entered


def _is_real_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _run_folders(path: Path) -> list[Path]:
    """The run folders right under ``path``; a symlinked one is not entered (it may lead anywhere)."""
    from fitbench.runs._files import holds_config

    if not path.is_dir():
        return []
    return sorted(folder for folder in path.iterdir() if not folder.is_symlink() and holds_config(folder))


def _is_study(path: Path) -> bool:
    """A study's folder holds its trials' run folders, named ``<time>-<study>-t<number>``
    (``fitbench tune`` names trials so), directly or under ``trials/``."""
    runs = _run_folders(_trials_folder(path))
    trial = re.compile(rf".*-{re.escape(path.name)}-t\d+(-\d+)?")
    return bool(runs) and all(trial.fullmatch(run.name) for run in runs)


def _short(tags: dict[str, str]) -> dict[str, str]:
    return {key: value[:MAX_VALUE] for key, value in tags.items()}


def _our_version() -> str:
    import fitbench

    return fitbench.__version__
