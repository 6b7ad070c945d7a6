"""``fitbench export mlflow``: runs and studies read back from a local sqlite tracking store."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

import fitbench as fb
from fitbench.cli import main
from fitbench.export import RunRecord, StudyRecord, export_mlflow, read_records
from tests.cli.test_cli import fitbench
from tests.conftest import copy_run

mlflow = pytest.importorskip("mlflow")
pytestmark = pytest.mark.slow  # MLflow's store takes seconds to create and to import
from mlflow.tracking import MlflowClient  # noqa: E402


EXPERIMENTS = ("one", "twice", "study", "cli", "fitbench")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One sqlite store for the module (creating MLflow's tables takes seconds), its experiments'
    artifacts under the temporary folder: MLflow's default is ./mlruns in the current directory."""
    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    for name in EXPERIMENTS:
        client.create_experiment(name, artifact_location=(folder / "artifacts" / name).as_uri())
    return uri


@pytest.fixture(scope="module")
def run(tiny_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = copy_run(tiny_run, tmp_path_factory.mktemp("mlflow-run"))
    fb.load_run(copy).report()  # the report is exported too
    return copy


def _tracked(client: MlflowClient, experiment: str) -> list:
    return client.search_runs([client.get_experiment_by_name(experiment).experiment_id])


def test_run_params_metric_steps_tags_and_artifacts(store: str, run: Path) -> None:
    (exported,) = export_mlflow([run], tracking_uri=store, experiment="one")
    assert exported.action == "created"
    client = MlflowClient(tracking_uri=store)
    tracked = client.get_run(exported.run_id)
    assert tracked.data.params["training.epochs"] == "3" and tracked.data.params["dataset.name"] == "digits"
    assert tracked.data.params["model.zoo"] == "small"
    assert [m.step for m in client.get_metric_history(exported.run_id, "val_loss")] == [1, 2, 3]
    assert 0 <= tracked.data.metrics["test.accuracy"] <= 1 and tracked.data.metrics["epochs_run"] == 3
    tags = tracked.data.tags
    assert tags["fitbench.run_id"] == run.name and tags["fitbench.seed"] == "42" and tags["fitbench.engine"]
    assert tags["fitbench.version"] == fb.__version__ and tracked.info.status == "FINISHED"
    artifacts = {item.path for item in client.list_artifacts(exported.run_id)}
    assert {"model.keras", "report.html", "config.yaml", "history.csv"} <= artifacts
    assert tracked.info.artifact_uri.startswith(Path(store.removeprefix("sqlite:///")).parent.as_uri())


def test_exporting_again_updates_instead_of_duplicating(store: str, run: Path) -> None:
    first = export_mlflow([run], tracking_uri=store, experiment="twice")
    again = export_mlflow([run], tracking_uri=store, experiment="twice")
    assert [e.action for e in first + again] == ["created", "updated"] and first[0].run_id == again[0].run_id
    client = MlflowClient(tracking_uri=store)
    assert len(_tracked(client, "twice")) == 1
    assert [m.step for m in client.get_metric_history(first[0].run_id, "loss")] == [1, 2, 3]


def test_study_is_a_parent_with_one_child_per_trial(store: str, run: Path, tmp_path: Path) -> None:
    study = tmp_path / "my-study"
    for trial in ("20260101-000000-my-study-t0000", "20260101-000001-my-study-t0001"):  # as fitbench tune names them
        shutil.copytree(run, study / trial)
    (record,) = read_records(study)
    assert isinstance(record, StudyRecord)
    assert [t.key for t in record.trials] == ["study:my-study/20260101-000000-my-study-t0000",
                                              "study:my-study/20260101-000001-my-study-t0001"]
    parent, *children = export_mlflow([study], tracking_uri=store, experiment="study")
    client = MlflowClient(tracking_uri=store)
    assert len(children) == 2 and len(_tracked(client, "study")) == 3
    for child in children:
        assert client.get_run(child.run_id).data.tags["mlflow.parentRunId"] == parent.run_id
    assert client.get_run(parent.run_id).data.metrics["trials"] == 2


def test_a_folder_of_runs_exports_each_and_the_intact_part_of_the_damaged(run: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    shutil.copytree(run, runs / run.name)
    shutil.copytree(run, runs / "damaged")
    (runs / "damaged" / "config.yaml").write_text("name: [unclosed")
    shutil.copytree(run, runs / "other-study" / "trials" / "x-other-study-t0000")
    records = read_records(runs)
    assert [type(r).__name__ for r in records] == ["RunRecord", "RunRecord", "StudyRecord"]
    damaged = records[1]
    assert isinstance(damaged, RunRecord) and any("config.yaml" in problem for problem in damaged.problems)
    assert damaged.history == records[0].history  # what is intact is still exported


def test_cli_exports_and_refuses_what_is_not_a_run(store: str, run: Path, tmp_path: Path) -> None:
    done = fitbench("export", "mlflow", str(run), "--tracking-uri", store, "--experiment", "cli", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "created" and done.stdout.strip().endswith(str(run))
    bad = fitbench("export", "mlflow", str(tmp_path), "--tracking-uri", store, cwd=tmp_path)
    assert bad.returncode == 2 and "no run folders here" in bad.stderr and "Traceback" not in bad.stderr


def test_without_mlflow_one_line_and_exit_2(run: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)  # what an absent package looks like to import
    assert main(["export", "mlflow", str(run)]) == 2
    assert capsys.readouterr().err.strip() == 'fitbench: error: MLflow is not installed; install it with: pip install "fitbench[mlflow]"'
