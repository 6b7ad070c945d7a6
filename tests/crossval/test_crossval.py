"""k-fold cross-validation: stratified folds of the training images, fold scores, the vote."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fitbench as fb
from fitbench.config import Experiment
from fitbench.crossval import cross_validate, vote
from tests.conftest import ROOT

EXPERIMENT = Experiment.model_validate({
    "name": "cv-small", "dataset": {"name": "digits", "seed": 0},
    "model": {"zoo": "small"}, "training": {"epochs": 2, "batch_size": 10},
})


def test_vote_is_the_majority_and_ties_go_to_confidence():
    a = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0]])
    b = np.array([[0.6, 0.4, 0.0], [0.1, 0.0, 0.9]])
    c = np.array([[0.1, 0.9, 0.0], [0.45, 0.55, 0.0]])
    np.testing.assert_array_equal(vote([a, b, c]), [0, 1])  # 2 of 3 say 0; then 2 of 3 say 1
    assert vote([np.array([[0.3, 0.7]]), np.array([[0.6, 0.4]])]).tolist() == [1]  # a 1-1 tie: 1 has more in total


def test_folds_partition_the_training_images():
    folds = [fb.load_dataset("digits", seed=0, folds=3, fold=i) for i in range(3)]
    whole = fb.load_dataset("digits", seed=0)
    held = np.concatenate([data.y_val for data in folds])
    assert len(held) == whole.sizes()["train"] + whole.sizes()["val"]
    for data in folds:
        assert data.sizes()["train"] + data.sizes()["val"] == len(held)
        np.testing.assert_array_equal(data.y_test, whole.y_test)  # test never moves
        shares = np.bincount(data.y_val, minlength=10) / len(data.y_val)
        assert np.abs(shares - np.bincount(held, minlength=10) / len(held)).max() < 0.02  # stratified


@pytest.mark.slow
def test_cross_validate_scores_folds_votes_and_reuses(tmp_path: Path):
    result = cross_validate(EXPERIMENT, 3, runs_dir=tmp_path, verbose=False)
    assert len(result.runs) == 3 and len({run.path for run in result.runs}) == 3
    assert all(0.5 < score <= 1.0 for score in result.fold_accuracy)
    assert result.sd >= 0 and 0.5 < result.vote_accuracy <= 1.0
    assert "3-fold validation accuracy" in result.summary()
    assert (tmp_path / "crossval.json").is_file()
    again = cross_validate(EXPERIMENT, 3, runs_dir=tmp_path, verbose=False)
    assert [run.path for run in again.runs] == [run.path for run in result.runs]  # nothing trained twice
    assert again.vote_accuracy == result.vote_accuracy


@pytest.mark.slow
def test_cv_command(tmp_path: Path):
    done = subprocess.run([sys.executable, "-m", "fitbench.cli", "cv", "first", "--dataset", "digits", "--folds", "2",
                           "--set", "training.epochs=1", "--runs-dir", str(tmp_path), "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == str(tmp_path / "cv-first")
    assert lines[-2].startswith("2-fold validation accuracy") and "the vote of the 2 models" in lines[-2]


@pytest.mark.slow
def test_fb_cross_validate_takes_a_name_and_an_offline_dataset_like_fitbench_cv(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default runs_dir is relative, as the command's
    result = fb.cross_validate("first", 2, dataset="digits",
                               overrides=["training.epochs=1", "dataset.train_limit=300"], verbose=False)
    assert len(result.runs) == 2 and (tmp_path / "runs" / "cv-first" / "crossval.json").is_file()
    assert all(run.config["dataset"]["name"] == "digits" for run in result.runs)
