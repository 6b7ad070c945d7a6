"""Worker processes sharing one storage: N trials in total, no duplicates; a worker killed with
SIGKILL mid-trial leaves a FAIL trial that is retried, and the study still reaches its count.

The kill test runs on SQLite always, and on PostgreSQL when ``FITBENCH_TEST_POSTGRES`` names a
server (``.ci/run`` starts one on 127.0.0.1 and sets it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import optuna
import pytest
import yaml

import fitbench as fb
from fitbench.tuning._storage import with_driver
from tests.conftest import ROOT
from tests.tuning.conftest import tiny

COUNTED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
POSTGRES = os.environ.get("FITBENCH_TEST_POSTGRES")


@pytest.mark.slow
def test_two_workers_on_one_sqlite_storage_finish_n_trials_without_duplicates(shared_runs: Path, storage: str,
                                                                               study_name: str):
    # Trials of about a second (60 short epochs): the second worker starts before the first is done.
    document = tiny(trials=6, pruner="none", sampler={"name": "random", "seed": 0})
    document["search"]["space"]["training.seed"]["high"] = 10**6  # distinct values, unless samplers repeat
    document["training"] |= {"epochs": 60, "early_stopping": None}
    study = fb.tune(document, workers=2, storage=storage, study=study_name, runs_dir=shared_runs, verbose=False)
    counted = study.get_trials(states=COUNTED)
    assert len(counted) == 6
    numbers = [trial.number for trial in study.trials]
    assert len(numbers) == len(set(numbers))
    runs = [trial.user_attrs["run"] for trial in counted]
    assert len(set(runs)) == 6 and all(fb.load_run(run).state == "complete" for run in runs)
    # Worker 1 is this process, worker 2 another one; both ran trials.
    pids = {trial.user_attrs["worker"]["pid"] for trial in counted}
    assert len(pids) == 2 and os.getpid() in pids
    # The two samplers are seeded apart: no trial repeats another's values.
    assert len({str(sorted(trial.params.items())) for trial in counted}) == 6


def kill_document() -> dict:
    """Trials of a few seconds (150 short epochs, no early stopping) so that one can be killed
    mid-way; a 1 s heartbeat and a 3 s grace period so that the dead trial is noticed quickly.
    The data and shapes are TINY's, so the compiled programs come from the shared cache."""
    document = tiny(trials=3, pruner="none", sampler={"name": "random", "seed": 0},
                    heartbeat={"interval": 1, "grace_period": 3, "max_retry": 2})
    document["training"] |= {"epochs": 150, "early_stopping": None}
    return document


@pytest.mark.parametrize("backend", [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(
        not POSTGRES, reason="FITBENCH_TEST_POSTGRES is not set: no PostgreSQL server to test against "
                             "(.ci/run starts one on 127.0.0.1; a fresh clone has none)")),
])
@pytest.mark.slow
def test_a_worker_killed_mid_trial_is_failed_and_retried(backend: str, shared_runs: Path, tmp_path: Path):
    storage = with_driver(POSTGRES) if backend == "postgresql" else f"sqlite:///{tmp_path / 'studies.db'}"
    name = f"kill-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "tune.yaml"
    path.write_text(yaml.safe_dump(kill_document()))

    victim = start_worker(path, storage, name, shared_runs, tmp_path / "victim.log")
    observer = wait_for_study(storage, name)
    survivor = start_worker(path, storage, name, shared_runs, tmp_path / "survivor.log")
    killed = wait_for_running_trial(observer, victim.pid)
    os.kill(victim.pid, signal.SIGKILL)
    assert victim.wait(timeout=30) == -signal.SIGKILL

    assert survivor.wait(timeout=240) == 0, (tmp_path / "survivor.log").read_text()
    study = optuna.load_study(study_name=name, storage=storage)
    assert len(study.get_trials(states=COUNTED)) == 3
    failed = [trial for trial in study.get_trials(states=(optuna.trial.TrialState.FAIL,))
              if not trial.user_attrs.get("surplus")]
    assert [trial.number for trial in failed] == [killed]
    assert failed[0].user_attrs["worker"]["pid"] == victim.pid
    retries = [trial for trial in study.trials if trial.system_attrs.get("retry_history") == [killed]]
    assert len(retries) == 1 and retries[0].state == optuna.trial.TrialState.COMPLETE
    assert retries[0].params == failed[0].params
    assert (tmp_path / "survivor.log").read_text().strip().splitlines()[-3].startswith("best trial: ")


def start_worker(path: Path, storage: str, name: str, runs: Path, log: Path) -> subprocess.Popen:
    with log.open("w") as handle:
        return subprocess.Popen([sys.executable, "-m", "fitbench.cli", "tune", str(path), "--storage", storage,
                                 "--study", name, "--runs-dir", str(runs)], cwd=ROOT, stdout=handle,
                                stderr=subprocess.STDOUT)


def wait_for_study(storage: str, name: str, timeout: float = 120) -> optuna.Study:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return optuna.load_study(study_name=name, storage=storage)
        except KeyError:
            time.sleep(0.2)
    raise AssertionError(f"study {name} never appeared in {storage}")


def wait_for_running_trial(study: optuna.Study, pid: int, timeout: float = 120) -> int:
    """The number of a trial that process ``pid`` is training right now."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = [trial.number for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
                   if (trial.user_attrs.get("worker") or {}).get("pid") == pid and "values" in trial.user_attrs]
        if running:
            time.sleep(0.5)  # into its training, then make sure it is still at it
            if study._storage.get_trial(study._storage.get_trial_id_from_study_id_trial_number(
                    study._study_id, running[0])).state == optuna.trial.TrialState.RUNNING:
                return running[0]
        time.sleep(0.1)
    raise AssertionError(f"process {pid} never ran a trial")
