"""An experiment's model factory is imported by the code that builds the model, before any data
is loaded; validating the file imports nothing (tests/config/test_keras_free.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import fitbench as fb
from fitbench.config import Experiment, validate
from fitbench.errors import ConfigError
from fitbench.tuning import load_tuning

# idx files that do not exist: loading the data would fail, so the factory is checked first.
EXPERIMENT = {"name": "x", "dataset": {"name": "idx", "images": "missing-images.gz", "labels": "missing-labels.gz"},
              "model": {"factory": "no_such_module_xyz:build"}, "training": {"epochs": 1}}
MESSAGE = "model.factory: model factory: module 'no_such_module_xyz' does not import"


def test_run_experiment_refuses_a_factory_that_does_not_import_before_loading_data(tmp_path: Path):
    experiment = validate(Experiment, EXPERIMENT, where="x.yaml")
    with pytest.raises(ConfigError, match=f"^experiment 'x': {MESSAGE}"):
        fb.run_experiment(experiment, runs_dir=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()


def test_a_tuning_file_with_such_a_factory_is_refused_when_loaded():
    search = {"space": {"training.seed": {"type": "int", "low": 1, "high": 3}}}
    with pytest.raises(ConfigError, match=f"^t.yaml: {MESSAGE}"):
        load_tuning({**EXPERIMENT, "search": search}, where="t.yaml")
