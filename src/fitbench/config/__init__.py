"""Experiment configuration: the YAML schema, loading, overrides and error messages."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the names below are, for type checkers and editors (`as`: re-exported)
    from fitbench.config._errors import validate as validate
    from fitbench.config._files import bundled_experiments as bundled_experiments, find_experiment as find_experiment
    from fitbench.config._load import (
        apply_overrides as apply_overrides,
        load_experiment as load_experiment,
        read_yaml as read_yaml,
    )
    from fitbench.config._schema import (
        ZOO_MODELS as ZOO_MODELS,
        DatasetConfig as DatasetConfig,
        EarlyStoppingConfig as EarlyStoppingConfig,
        Experiment as Experiment,
        FactoryModel as FactoryModel,
        LabelIssuesSetting as LabelIssuesSetting,
        LayersModel as LayersModel,
        ModelConfig as ModelConfig,
        ModelSource as ModelSource,
        PythonModel as PythonModel,
        TrainingConfig as TrainingConfig,
        ZooModel as ZooModel,
        split_factory as split_factory,
    )

# The public names, imported on first use: a misspelt experiment name is answered from the file
# list (``_files``) before pydantic and the schema are imported.
_HOMES = {
    "_errors": ("validate",),
    "_files": ("bundled_experiments", "find_experiment"),
    "_load": ("apply_overrides", "load_experiment", "read_yaml"),
    "_schema": ("ZOO_MODELS", "DatasetConfig", "EarlyStoppingConfig", "Experiment", "FactoryModel",
                "LabelIssuesSetting", "LayersModel", "ModelConfig", "ModelSource", "PythonModel", "TrainingConfig", "ZooModel", "split_factory"),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use."""
    if name not in _HOME:
        raise AttributeError(f"module 'fitbench.config' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"fitbench.config.{_HOME[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
