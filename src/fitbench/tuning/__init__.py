"""Hyperparameter tuning with Optuna: validation-scored, pruned, resumable, many workers.

>>> import fitbench as fb
>>> study = fb.tune("tune", trials=20, workers=2)          # the course's search, bundled
>>> fb.tuning.write_study_report(study, "study.html")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fitbench._lazy import lazy_names

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
__getattr__, __dir__, __all__ = lazy_names(__name__, {
    "_objective": ("Objective", "clean_keras_state"),
    "_pruning": ("PruningCallback",),
    "_report": ("study_report", "write_study_report"),
    "_schema": ("CategoricalParam", "FloatParam", "HeartbeatConfig", "IntParam", "LengthSpec", "SamplerConfig",
                "SearchConfig"),
    "_storage": ("default_storage", "load_study"),
    "_tune": ("best_trial", "tune"),
    "_tuning": ("Tuning", "bundled_tunings", "find_tuning", "load_tuning"),
})

