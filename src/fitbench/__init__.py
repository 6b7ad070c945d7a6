"""fitbench: train, diagnose, compare and tune neural-network classifiers on MNIST-like images.

>>> import fitbench as fb
>>> data = fb.load_dataset("mnist", val_size=0.2, seed=42)   # 48,000 / 12,000 / 10,000
>>> model = fb.build_model("dropout", data, rate=0.2)
>>> run = fb.fit(model, data, epochs=25, batch_size=10, early_stopping=3, name="dropout-0.2")
>>> run.evaluate("test").accuracy
"""

from __future__ import annotations

from fitbench import _keras  # noqa: F401  chooses the JAX backend before anything imports keras
from fitbench.config import Experiment, load_experiment
from fitbench.data import Dataset, load_dataset
from fitbench.diagnosis import diagnose
from fitbench.errors import ConfigError, DataError, FitbenchError
from fitbench.evaluation import Evaluation
from fitbench.models import build_model, count_params
from fitbench.report import compare
from fitbench.runs import Run, load_run
from fitbench.training import fit, run_experiment
from fitbench.tuning import tune

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DataError",
    "Dataset",
    "Evaluation",
    "Experiment",
    "FitbenchError",
    "Run",
    "build_model",
    "compare",
    "count_params",
    "diagnose",
    "fit",
    "load_dataset",
    "load_experiment",
    "load_run",
    "run_experiment",
    "tune",
]
