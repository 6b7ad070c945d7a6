"""Training: ``fit`` a Keras model with the course's settings, or run a whole experiment."""

from __future__ import annotations

from fitbench.training._experiment import build_from_config, run_experiment
from fitbench.training._fit import as_dataset, fit, summary_line, train

__all__ = ["as_dataset", "build_from_config", "fit", "run_experiment", "summary_line", "train"]
