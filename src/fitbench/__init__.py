"""fitbench: train, diagnose, compare and tune neural-network classifiers on MNIST-like images.

>>> import fitbench as fb
>>> data = fb.load_dataset("mnist", val_size=0.2, seed=42)   # 48,000 / 12,000 / 10,000
>>> model = fb.build_model("dropout", data, rate=0.2)
>>> run = fb.fit(model, data, epochs=25, batch_size=10, early_stopping=3, name="dropout-0.2")
>>> run.evaluate("test").accuracy
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fitbench import _backend  # noqa: F401  chooses the JAX backend before anything imports keras
from fitbench._notebook import register_displays

if TYPE_CHECKING:  # what the names below are, for type checkers and editors (`as`: re-exported)
    from fitbench.config import Experiment as Experiment, load_experiment as load_experiment
    from fitbench.crossval import cross_validate as cross_validate
    from fitbench.data import Dataset as Dataset, load_dataset as load_dataset
    from fitbench.diagnosis import diagnose as diagnose
    from fitbench.errors import ConfigError as ConfigError, DataError as DataError, FitbenchError as FitbenchError
    from fitbench.evaluation import Evaluation as Evaluation
    from fitbench.leaks import find_leaks as find_leaks
    from fitbench.models import build_model as build_model, count_params as count_params
    from fitbench.report import compare as compare
    from fitbench.trained import Run as Run, load_run as load_run
    from fitbench.training import Interrupted as Interrupted, fit as fit, run_experiment as run_experiment
    from fitbench.tuning import tune as tune

__version__ = "0.1.0"

# The public names, loaded on first use: importing Keras and JAX takes about 2 s, which the
# `fitbench` command should not pay before it knows what it will run (`--help`: 0.04 s).
_HOMES = {
    "config": ("Experiment", "load_experiment"),
    "crossval": ("cross_validate",),
    "data": ("Dataset", "load_dataset"),
    "diagnosis": ("diagnose",),
    "errors": ("ConfigError", "DataError", "FitbenchError"),
    "evaluation": ("Evaluation",),
    "leaks": ("find_leaks",),
    "models": ("build_model", "count_params"),
    "report": ("compare",),
    "trained": ("Run", "load_run"),
    "training": ("Interrupted", "fit", "run_experiment"),
    "tuning": ("tune",),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}

register_displays()  # in a notebook: datasets, runs, evaluations... and fb.tune's Optuna study show as HTML

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    """``fitbench.fit`` and the other public names, and subpackages (``fitbench.tuning``), on first use."""
    if name.startswith("__"):
        raise AttributeError(name)
    path = f"fitbench.{_HOME.get(name, name)}"
    try:
        module = importlib.import_module(path)
    except ModuleNotFoundError as error:
        if error.name != path:  # a module that fitbench's own needs is missing: say which
            raise
        raise AttributeError(f"module 'fitbench' has no attribute {name!r}") from None
    value = getattr(module, name) if name in _HOME else module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
