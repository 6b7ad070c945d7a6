"""Hyperparameter tuning with Optuna: validation-scored, pruned, resumable, many workers.

>>> import fitbench as fb
>>> study = fb.tune("tune", trials=20, workers=2)          # the course's search, bundled
>>> fb.tuning.write_study_report(study, "study.html")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the names below are, for type checkers and editors (`as`: re-exported)
    from fitbench.tuning._objective import Objective as Objective, clean_keras_state as clean_keras_state
    from fitbench.tuning._pruning import PruningCallback as PruningCallback
    from fitbench.tuning._report import study_report as study_report, write_study_report as write_study_report
    from fitbench.tuning._schema import (
        CategoricalParam as CategoricalParam,
        FloatParam as FloatParam,
        HeartbeatConfig as HeartbeatConfig,
        IntParam as IntParam,
        LengthSpec as LengthSpec,
        SamplerConfig as SamplerConfig,
        SearchConfig as SearchConfig,
    )
    from fitbench.tuning._storage import default_storage as default_storage, load_study as load_study
    from fitbench.tuning._tune import best_trial as best_trial, tune as tune
    from fitbench.tuning._tuning import (
        Tuning as Tuning,
        bundled_tunings as bundled_tunings,
        find_tuning as find_tuning,
        load_tuning as load_tuning,
    )

# The public names, imported on first use: a tuning file is checked (fitbench tune's arguments)
# without Optuna, Keras or JAX, which take seconds to import.
_HOMES = {
    "_objective": ("Objective", "clean_keras_state"),
    "_pruning": ("PruningCallback",),
    "_report": ("study_report", "write_study_report"),
    "_schema": ("CategoricalParam", "FloatParam", "HeartbeatConfig", "IntParam", "LengthSpec", "SamplerConfig",
                "SearchConfig"),
    "_storage": ("default_storage", "load_study"),
    "_tune": ("best_trial", "tune"),
    "_tuning": ("Tuning", "bundled_tunings", "find_tuning", "load_tuning"),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use."""
    if name not in _HOME:
        raise AttributeError(f"module 'fitbench.tuning' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"fitbench.tuning.{_HOME[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
