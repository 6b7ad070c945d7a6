"""``fitbench tune`` and ``fitbench tune-report`` through subprocess, as users run them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import optuna
import pytest
import yaml

import fitbench as fb

from fitbench.cli import main
from tests.conftest import ROOT
from tests.tuning.conftest import tiny


def fitbench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fitbench.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.slow
def test_tune_then_tune_report(shared_runs: Path, tmp_path: Path):
    path = tmp_path / "tune.yaml"
    path.write_text(yaml.safe_dump(tiny(trials=2)))
    storage = f"sqlite:///{tmp_path / 'cli.db'}"
    tuned = fitbench("tune", str(path), "--storage", storage, "--study", "cli-study", "--runs-dir", str(shared_runs))
    assert tuned.returncode == 0, tuned.stderr
    lines = tuned.stdout.strip().splitlines()
    # The study's name where the user looks, with what it is for (the name to give tune-report).
    assert lines[0].startswith("study 'cli-study' (its name for fitbench tune-report): 2 trials in total, "
                               "1 worker; storage sqlite:///")
    assert lines[1].startswith("trial 1 of 2: #0 ") and "val_macro_f1" in lines[1] and "best " in lines[1]
    assert lines[2].startswith("trial 2 of 2: #1 ")
    assert "(asked for 2); its report: fitbench tune-report cli-study" in tuned.stdout
    assert lines[-3].startswith("best trial: ") and lines[-2].startswith("best value: val_macro_f1 0.")
    assert lines[-1].startswith("best params: training.seed=")
    assert "Traceback" not in tuned.stderr

    output = tmp_path / "study.html"
    reported = fitbench("tune-report", "cli-study", "--storage", storage, "-o", str(output))
    assert reported.returncode == 0, reported.stderr
    assert reported.stdout.strip().splitlines()[-1] == str(output)
    html = output.read_text()
    assert html.count("Plotly.newPlot") >= 4  # history, intermediate values, parallel coordinates, slices...
    assert html.count("<script src=") == 0  # plotly's JavaScript is inlined, once: no network needed
    for section in ("Optimisation history", "Intermediate values", "Parallel coordinates",
                    "Parameter importances", "Slices", "Trials", "Diagnosis", "Test split, read once"):
        assert section in html


def test_cli_errors_are_one_line_with_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "tune.yaml"
    path.write_text(yaml.safe_dump(tiny()))
    # In this process: the same main() as the `fitbench` command, without another start-up.
    assert main(["tune", str(path), "--set", "search.objective=test_accuracy", "--runs-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fitbench: error: ") and len(err.strip().splitlines()) == 1
    assert "test_accuracy would choose the model on the test split" in err
    assert not (tmp_path / "studies.db").exists()

    assert main(["tune-report", "no-such-study", "--runs-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fitbench: error: no study 'no-such-study'") and "run fitbench tune first" in err
    assert main(["tune", "no-such-file.yaml"]) == 2
    assert "no such tuning file" in capsys.readouterr().err


@pytest.mark.slow
def test_a_trial_the_pruner_stops_is_listed_pruned_with_its_epochs(shared_runs: Path, storage: str,
                                                                    study_name: str):
    """A real study whose third trial the median pruner stops after epoch 1 of 3; `fitbench runs`
    lists that trial's folder as pruned with 1 epoch (it once said "complete 1 epochs")."""
    document = tiny(trials=3, pruning={"startup_trials": 1}, sampler={"name": "random", "seed": 0})
    document["training"]["epochs"] = 3
    # A learning rate of 1e-7 leaves the network at chance after an epoch, far under 0.03's score,
    # so the seeded sampler's order (1e-7, 0.03, 1e-7) prunes the third trial, whatever the noise.
    document["search"]["space"] = {"training.learning_rate": {"type": "categorical", "choices": [0.03, 1.0e-7]}}
    study = fb.tune(document, storage=storage, study=study_name, runs_dir=shared_runs, verbose=False)
    pruned = study.get_trials(states=(optuna.trial.TrialState.PRUNED,))
    assert [trial.number for trial in pruned] == [2]
    folder = Path(pruned[0].user_attrs["run"])

    listed = fitbench("runs", "--runs-dir", str(shared_runs / study_name))
    assert listed.returncode == 0, listed.stderr
    lines = [line for line in listed.stdout.splitlines() if study_name in line]
    (line,) = [line for line in lines if folder.name in line]
    assert line.startswith("pruned        1 epoch ") and "(pruned after epoch 1: val_macro_f1 0." in line
    assert sum(line.startswith("complete      3 epochs ") for line in lines) == 2
