"""Hyperparameter tuning with Optuna: validation-scored, pruned, resumable, many workers.

>>> import fitbench as fb
>>> study = fb.tune("tune", trials=20, workers=2)          # the course's search, bundled
>>> fb.tuning.write_study_report(study, "study.html")
"""

from __future__ import annotations

from fitbench.tuning._objective import Objective, clean_keras_state
from fitbench.tuning._pruning import PruningCallback
from fitbench.tuning._report import study_report, write_study_report
from fitbench.tuning._schema import (
    CategoricalParam,
    FloatParam,
    HeartbeatConfig,
    IntParam,
    LengthSpec,
    SamplerConfig,
    SearchConfig,
)
from fitbench.tuning._storage import default_storage, load_study
from fitbench.tuning._tune import best_trial, tune
from fitbench.tuning._tuning import Tuning, bundled_tunings, find_tuning, load_tuning

__all__ = [
    "CategoricalParam",
    "FloatParam",
    "HeartbeatConfig",
    "IntParam",
    "LengthSpec",
    "Objective",
    "PruningCallback",
    "SamplerConfig",
    "SearchConfig",
    "Tuning",
    "best_trial",
    "bundled_tunings",
    "clean_keras_state",
    "default_storage",
    "find_tuning",
    "load_study",
    "load_tuning",
    "study_report",
    "tune",
    "write_study_report",
]
