"""Send run and study records to an MLflow tracking server (or a local ``sqlite:`` store).

Exporting is idempotent: each tracked run carries the tag ``fitbench.run_id``; a second
export finds it and adds only what is new (epochs of a resumed run, changed artifacts)
instead of creating a duplicate. A study becomes a parent run with one child run per trial.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from fitbench.errors import FitbenchError
from fitbench.export._artifacts import staged
from fitbench.export._records import RunRecord, Skipped, StudyRecord, read_records

__all__ = ["Exported", "export_mlflow"]

INSTALL = 'MLflow is not installed; install it with: pip install "fitbench[mlflow]"'
RUN_ID_TAG = "fitbench.run_id"
PARENT_TAG = "mlflow.parentRunId"  # how MLflow's UI nests child runs under a parent
_BATCH = 100  # MLflow's log_batch takes at most 100 params, 100 tags and 1,000 metrics a call
_METRICS_BATCH = 1000


class Exported(NamedTuple):
    """One tracked run: the folder, MLflow's run id, and ``created``, ``updated`` or ``skipped``
    (then ``problems`` says why and the run id is empty)."""

    folder: Path
    run_id: str
    action: str
    problems: list[str]


def export_mlflow(paths: Sequence[str | Path], *, tracking_uri: str | None = None,
                  experiment: str = "fitbench") -> list[Exported]:
    """Export run folders and study folders to MLflow; returns one ``Exported`` per tracked run.

    Raises:
        FitbenchError: MLflow is missing, or a path is neither a run nor a study folder.
    """
    # every folder read before anything is sent: a bad path leaves the tracking server untouched
    records = [record for path in paths for record in read_records(Path(path))]
    client = _client(tracking_uri)
    experiment_id = _experiment_id(client, experiment)
    done = []
    for record in records:
        if isinstance(record, Skipped):
            done.append(Exported(record.path, "", "skipped", [record.reason]))
        elif isinstance(record, StudyRecord):
            parent = _send_study(client, experiment_id, record)
            done.append(Exported(Path(record.tags["fitbench.path"]), *parent, []))
            for trial in record.trials:
                run_id, action = _send_run(client, experiment_id, trial, parent=parent[0])
                done.append(Exported(Path(trial.tags["fitbench.path"]), run_id, action, trial.problems))
        else:
            done.append(Exported(Path(record.tags["fitbench.path"]), *_send_run(client, experiment_id, record),
                                 record.problems))
    return done


def _client(tracking_uri: str | None) -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise FitbenchError(INSTALL) from None
    return MlflowClient(tracking_uri=tracking_uri)


def _experiment_id(client: Any, name: str) -> str:
    found = client.get_experiment_by_name(name)
    return str(found.experiment_id) if found is not None else str(client.create_experiment(name))


def _find_or_create(client: Any, experiment_id: str, key: str, name: str) -> tuple[Any, str]:
    if "'" in key or "\\" in key:
        raise FitbenchError(f"{key}: a folder name with a quote or backslash cannot be looked up in MLflow; rename it")
    found = client.search_runs([experiment_id], filter_string=f"tags.`{RUN_ID_TAG}` = '{key}'", max_results=1)
    if found:
        return found[0], "updated"
    return client.create_run(experiment_id, run_name=name, tags={RUN_ID_TAG: key}), "created"


def _send_study(client: Any, experiment_id: str, study: StudyRecord) -> tuple[str, str]:
    run, action = _find_or_create(client, experiment_id, study.key, study.name)
    run_id = run.info.run_id
    logged = run.data.params if action == "updated" else {}
    params = {key: value for key, value in study.params.items() if key not in logged}  # params cannot change
    _log(client, run_id, params=params, tags=study.tags,
         metrics=[(key, value, 0) for key, value in study.scores.items()])
    client.set_terminated(run_id, "FINISHED")
    return run_id, action


def _send_run(client: Any, experiment_id: str, record: RunRecord, *, parent: str | None = None) -> tuple[str, str]:
    run, action = _find_or_create(client, experiment_id, record.key, record.name)
    run_id = run.info.run_id
    logged = run.data.params if action == "updated" else {}
    # MLflow's params cannot change once logged: a resumed run keeps its first values.
    params = {key: value for key, value in record.params.items() if key not in logged}
    tags = {**record.tags, **({PARENT_TAG: parent} if parent else {})}
    if record.problems:
        tags["fitbench.problems"] = "; ".join(record.problems)[:500]
    _log(client, run_id, params=params, tags=tags, metrics=[*_new_steps(client, run_id, record, action),
                                                             *((key, value, 0) for key, value in record.scores.items())])
    with tempfile.TemporaryDirectory(prefix="fitbench-export-") as scratch:  # copies read through the reader
        for path, folder in staged(record.artifacts, Path(scratch)):
            client.log_artifact(run_id, str(path), artifact_path=folder or None)
    client.set_terminated(run_id, record.status)
    return run_id, action


def _new_steps(client: Any, run_id: str, record: RunRecord, action: str) -> Iterator[tuple[str, float, int]]:
    """``(key, value, step)`` of each epoch not yet in the tracked run's metric history."""
    for key, values in record.history.items():
        seen = {m.step for m in client.get_metric_history(run_id, key)} if action == "updated" else set()
        yield from ((key, float(value), step) for step, value in enumerate(values, 1) if step not in seen)


def _log(client: Any, run_id: str, *, params: dict[str, str] | None = None, tags: dict[str, str] | None = None,
         metrics: list[tuple[str, float, int]] | None = None) -> None:
    from mlflow.entities import Metric, Param, RunTag

    now = int(time.time() * 1000)
    items = [*(Param(k, v) for k, v in (params or {}).items()), *(RunTag(k, v) for k, v in (tags or {}).items())]
    for start in range(0, len(items), _BATCH):
        chunk = items[start:start + _BATCH]
        client.log_batch(run_id, params=[i for i in chunk if isinstance(i, Param)],
                         tags=[i for i in chunk if isinstance(i, RunTag)])
    # Metrics in MLflow's largest batches: a history of 100,000 epochs in 500 calls, not 5,000.
    series = [Metric(k, v, now, step) for k, v, step in (metrics or [])]
    for start in range(0, len(series), _METRICS_BATCH):
        client.log_batch(run_id, metrics=series[start:start + _METRICS_BATCH])
