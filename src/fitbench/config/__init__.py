"""Experiment configuration: the YAML schema, loading, overrides and error messages."""

from __future__ import annotations

from fitbench.config._errors import validate
from fitbench.config._load import apply_overrides, bundled_experiments, find_experiment, load_experiment, read_yaml
from fitbench.config._schema import (
    DatasetConfig,
    EarlyStoppingConfig,
    Experiment,
    ModelConfig,
    TrainingConfig,
)

__all__ = [
    "DatasetConfig",
    "EarlyStoppingConfig",
    "Experiment",
    "ModelConfig",
    "TrainingConfig",
    "apply_overrides",
    "bundled_experiments",
    "find_experiment",
    "load_experiment",
    "read_yaml",
    "validate",
]
