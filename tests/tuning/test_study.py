"""Small studies on digits, in this process: the total is honoured across restarts, the best
trial's test score is read once and kept apart, and the same sampler seed repeats the trials."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest

import fitbench as fb
from fitbench.errors import ConfigError
from fitbench.tuning import best_trial, study_report
from fitbench.tuning._tune import TEST_ATTR
from tests.tuning.conftest import tiny

COUNTED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


@pytest.mark.slow
def test_a_study_resumes_after_a_restart_and_counts_the_total(shared_runs: Path, storage: str, study_name: str,
                                                              capsys: pytest.CaptureFixture[str]):
    first = fb.tune(tiny(shapes=True), trials=2, storage=storage, study=study_name, runs_dir=shared_runs)
    assert len(first.get_trials(states=COUNTED)) == 2
    capsys.readouterr()

    again = fb.tune(tiny(shapes=True), trials=3, storage=storage, study=study_name, runs_dir=shared_runs)
    out = capsys.readouterr().out
    assert "3 trials in total, 2 already finished" in out
    assert "trial 3 of 3: #2" in out and "trial 1 of 3" not in out  # only the missing trial ran
    trials = again.get_trials(states=COUNTED)
    assert [trial.number for trial in trials] == [0, 1, 2]

    # Every trial left a normal run folder whose scores are the trial's.
    for trial in trials:
        run = fb.load_run(trial.user_attrs["run"])
        assert run.state == "complete" and run.path.parent == (shared_runs / study_name).resolve()
        assert trial.user_attrs["val"]["macro_f1"] == run.metrics.splits["val"].macro_f1
        assert "test" not in trial.user_attrs["val"]  # trials carry validation scores only
        if trial.state == optuna.trial.TrialState.COMPLETE:
            assert trial.value == pytest.approx(run.metrics.splits["val"].macro_f1)

    # A rerun with the same count runs nothing.
    fb.tune(tiny(shapes=True), trials=3, storage=storage, study=study_name, runs_dir=shared_runs, verbose=False)
    assert len(optuna.load_study(study_name=study_name, storage=storage).trials) == 3


@pytest.mark.slow
def test_the_best_trial_is_evaluated_on_test_once_and_reported_apart(shared_runs: Path, storage: str,
                                                                     study_name: str,
                                                                     capsys: pytest.CaptureFixture[str]):
    study = fb.tune(tiny(trials=2), storage=storage, study=study_name, runs_dir=shared_runs)
    lines = capsys.readouterr().out.strip().splitlines()
    best = best_trial(study)
    assert best is not None
    recorded = json.loads((Path(best.user_attrs["run"]) / "metrics.json").read_text())["splits"]["test"]
    test = study.user_attrs["test_of_best"]
    assert test["trial"] == best.number and test["macro_f1"] == recorded["macro_f1"]
    assert test["accuracy"] == recorded["accuracy"] and test["n"] == recorded["n"]
    assert lines[-4].startswith("test split, read once for the best trial: accuracy")
    # The best trial's number, value and parameters are the last lines.
    assert lines[-3].startswith(f"best trial: {best.number} (")
    assert lines[-2] == f"best value: val_macro_f1 {best.value:.6f}"
    assert lines[-1].startswith("best params: training.seed=")
    html = study_report(study)
    assert "Test split, read once for the chosen trial" in html
    assert "No trial was chosen or pruned by this score" in html


def test_a_test_scored_objective_is_refused_before_anything_runs(shared_runs: Path, storage: str, study_name: str):
    with pytest.raises(ConfigError, match="search.objective: test_macro_f1 would choose the model on the test split"):
        fb.tune(tiny(objective="test_macro_f1"), storage=storage, study=study_name, runs_dir=shared_runs)
    assert not (shared_runs / study_name).exists()


def test_a_forced_test_objective_runs_and_every_report_says_so(shared_runs: Path, storage: str, study_name: str,
                                                               capsys: pytest.CaptureFixture[str]):
    study = fb.tune(tiny(trials=1, objective="test_macro_f1", force_test=True), storage=storage, study=study_name,
                    runs_dir=shared_runs)
    assert "warning: the trials were scored on the TEST split" in capsys.readouterr().out
    html = study_report(study)
    assert "the trials were scored on the TEST split" in html
    assert "this is not an" in html  # the test score box says it is no estimate


@pytest.mark.slow
def test_the_same_sampler_seed_gives_the_same_trials(shared_runs: Path, tmp_path: Path):
    def params(name: str, seed: int) -> list[dict]:
        study = fb.tune(tiny(trials=3, sampler={"name": "tpe", "seed": seed}, pruner="none"),
                        storage=f"sqlite:///{tmp_path / name}.db", study=name, runs_dir=shared_runs, verbose=False)
        return [trial.params for trial in study.trials]

    first = params("seed-a", 5)
    assert params("seed-b", 5) == first
    assert len({json.dumps(trial, sort_keys=True) for trial in first}) > 1  # the sampler did sample


def test_continuing_a_study_with_another_space_is_refused(shared_runs: Path, storage: str, study_name: str):
    fb.tune(tiny(trials=1), storage=storage, study=study_name, runs_dir=shared_runs, verbose=False)
    other = tiny(trials=2)
    other["search"]["space"]["training.seed"]["high"] = 10
    with pytest.raises(ConfigError, match=f"study '{study_name}' already exists with a different space"):
        fb.tune(other, storage=storage, study=study_name, runs_dir=shared_runs)


@pytest.mark.slow
def test_multi_objective_keeps_a_pareto_front_of_score_against_parameters(shared_runs: Path, storage: str,
                                                                         study_name: str):
    study = fb.tune(tiny(shapes=True, trials=3, multi_objective=True, pruner="none"), storage=storage, study=study_name,
                    runs_dir=shared_runs, verbose=False)
    assert len(study.directions) == 2 and study.best_trials
    for trial in study.best_trials:
        assert trial.values[1] == trial.user_attrs["parameters"]
    assert "Pareto front" in study_report(study)


def test_a_timeout_stops_starting_trials(shared_runs: Path, storage: str, study_name: str):
    # Optuna checks the timeout before each trial: on a busy machine the first trial may
    # already start late, so only "stopped well short of 50" is certain.
    study = fb.tune(tiny(trials=50, pruner="none"), timeout=1.0, storage=storage, study=study_name,
                    runs_dir=shared_runs, verbose=False)
    assert len(study.get_trials(states=COUNTED)) < 50
    assert not study.get_trials(states=(optuna.trial.TrialState.RUNNING,))


@pytest.mark.slow
def test_the_trials_of_a_study_read_the_data_once(shared_runs: Path, storage: str, study_name: str,
                                                   monkeypatch: pytest.MonkeyPatch):
    from fitbench.data import load_from_config
    from fitbench.training import _experiment
    from fitbench.tuning import _objective

    loads = []

    def counting(config):
        loads.append(config.name)
        return load_from_config(config)

    monkeypatch.setattr(_objective, "load_from_config", counting)
    monkeypatch.setattr(_experiment, "load_from_config", counting)
    study = fb.tune(tiny(), trials=3, storage=storage, study=study_name, runs_dir=shared_runs, verbose=False)
    assert len(study.get_trials(states=COUNTED)) == 3 and loads == ["digits"]


def test_a_test_score_on_another_machine_is_said_in_the_report():
    # the record from record_test_of_best when the run folder is not here: no scores, a reason
    study = optuna.create_study()
    study.set_user_attr(TEST_ATTR, {"trial": 0, "run": "elsewhere", "missing": "no test score in elsewhere"})
    assert "no test score in elsewhere" in study_report(study)
