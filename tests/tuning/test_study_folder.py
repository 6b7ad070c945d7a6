"""What a study leaves in its folder: ``study.json`` (the search and the chosen trial), read by
``fitbench export mlflow`` for the study's parent run; and the curriculum's tuning step puts
its trials in its own folder, not in a folder of the same name inside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import fitbench as fb
from fitbench.export import StudyRecord, read_records
from fitbench.tuning import best_trial
from tests.tuning.conftest import tiny


@pytest.fixture(scope="module")
def study_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    runs = tmp_path_factory.mktemp("study-folder")
    study = fb.tune(tiny(trials=2, pruner="none"), study="exported", runs_dir=runs, verbose=False)
    return runs / "exported", study


def test_the_study_file_names_the_search_and_the_chosen_trial(study_folder):
    folder, study = study_folder
    best = best_trial(study)
    record = json.loads((folder / "study.json").read_text())
    assert record["objective"] == "val_macro_f1" and record["direction"] == "maximize"
    assert record["best"]["trial"] == best.number and record["best"]["value"] == best.value
    assert record["best"]["params"] == best.user_attrs["values"]
    assert record["test"]["trial"] == best.number and "accuracy" in record["test"]


def test_the_exported_parent_run_has_the_search_and_the_objective(study_folder):
    folder, study = study_folder
    best = best_trial(study)
    (record,) = read_records(folder)
    assert isinstance(record, StudyRecord)
    assert record.params["search.objective"] == "val_macro_f1" and record.params["search.pruner"] == "none"
    assert record.params["best.trial"] == str(best.number)
    assert record.params["best.training.seed"] == str(best.user_attrs["values"]["training.seed"])
    assert record.scores["best.val_macro_f1"] == pytest.approx(best.value)
    assert record.scores["chosen.test.accuracy"] == study.user_attrs["test_of_best"]["accuracy"]
    # The children: a test score only on the chosen trial's.
    with_test = [trial.tags["fitbench.path"] for trial in record.trials if "test.accuracy" in trial.scores]
    assert with_test == [best.user_attrs["run"]]


@pytest.mark.slow
def test_mlflow_gets_the_parent_params_and_objective(study_folder, tmp_path: Path):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    from fitbench.export import export_mlflow

    folder, study = study_folder
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=store)
    client.create_experiment("s", artifact_location=(tmp_path / "artifacts").as_uri())
    parent, *_ = export_mlflow([folder], tracking_uri=store, experiment="s")
    data = client.get_run(parent.run_id).data
    assert data.params["search.objective"] == "val_macro_f1"
    assert data.metrics["best.val_macro_f1"] == pytest.approx(best_trial(study).value)
    export_mlflow([folder], tracking_uri=store, experiment="s")  # again: params are not logged twice


@pytest.mark.slow
def test_the_curriculum_tuning_step_puts_its_trials_in_its_own_folder(tmp_path: Path):
    from fitbench.curriculum import run_curriculum

    summary = run_curriculum(dataset="digits", quick=True, only="try11", out=tmp_path, verbose=False)
    (step,) = summary["steps"]
    (run,) = step["runs"]
    assert Path(run).parent == (tmp_path / "try11-tuning").resolve()
    assert not (tmp_path / "try11-tuning" / "try11-tuning").exists()
    assert step["tuning"]["storage"].endswith("try11-tuning/studies.db")
