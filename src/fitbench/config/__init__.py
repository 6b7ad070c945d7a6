"""Experiment configuration: the YAML schema, loading, overrides and error messages."""

from __future__ import annotations

from fitbench.config._errors import validate
from fitbench.config._load import apply_overrides, bundled_experiments, find_experiment, load_experiment, read_yaml
from fitbench.config._schema import (
    ZOO_MODELS,
    DatasetConfig,
    EarlyStoppingConfig,
    Experiment,
    FactoryModel,
    LabelIssuesSetting,
    LayersModel,
    ModelConfig,
    ModelSource,
    PythonModel,
    TrainingConfig,
    ZooModel,
    split_factory,
)

__all__ = [
    "ZOO_MODELS",
    "DatasetConfig",
    "EarlyStoppingConfig",
    "Experiment",
    "FactoryModel",
    "LabelIssuesSetting",
    "LayersModel",
    "ModelConfig",
    "ModelSource",
    "PythonModel",
    "TrainingConfig",
    "ZooModel",
    "apply_overrides",
    "bundled_experiments",
    "find_experiment",
    "load_experiment",
    "read_yaml",
    "split_factory",
    "validate",
]
