"""Experiment configuration: the YAML schema, loading, overrides and error messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fitbench._lazy import lazy_names

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
__getattr__, __dir__, __all__ = lazy_names(__name__, {
    "_errors": ("validate",),
    "_files": ("bundled_experiments", "find_experiment"),
    "_load": ("apply_overrides", "load_experiment", "read_yaml"),
    "_schema": ("ZOO_MODELS", "DatasetConfig", "EarlyStoppingConfig", "Experiment", "FactoryModel",
                "LabelIssuesSetting", "LayersModel", "ModelConfig", "ModelSource", "PythonModel", "TrainingConfig",
                "ZooModel", "split_factory"),
})

