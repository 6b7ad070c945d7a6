"""An experiment's model factory is imported by the code that builds the model, before any data
is loaded; validating the file imports nothing (tests/config/test_keras_free.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import fitbench as fb
from fitbench.config import Experiment, validate
from fitbench.errors import ConfigError
from fitbench.training import run_or_reuse
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


def test_a_run_folder_written_with_every_model_option_is_still_reused(tmp_path: Path):
    # Before one schema class per zoo model, config.yaml listed every option of every model, mostly null.
    experiment = validate(Experiment, {"name": "old", "dataset": {"name": "digits", "train_limit": 100},
                                       "model": {"zoo": "small"}, "training": {"epochs": 1, "batch_size": 50}},
                          where="x.yaml")
    run, how = run_or_reuse(experiment, runs_dir=tmp_path)
    assert how == "trained"
    config = yaml.safe_load((run.path / "config.yaml").read_text())
    config["model"] = {"zoo": "small", "layers": None, "factory": None, "kwargs": {}, "python": None, "augment": None,
                       "rotation": None, "rate": None, "l2": None, "units": None, "rescale": None, "filters": None}
    (run.path / "config.yaml").write_text(yaml.safe_dump(config))
    again, how = run_or_reuse(experiment, runs_dir=tmp_path)
    assert how == "reused" and again.path == run.path
