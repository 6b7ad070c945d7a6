"""Training: ``fit`` a Keras model with the course's settings, or run a whole experiment."""

from __future__ import annotations

from fitbench.training._experiment import build_from_config, check_model, resume_run, run_experiment, run_or_reuse
from fitbench.training._fit import Interrupted, as_dataset, fit, summary_line, train

__all__ = ["Interrupted", "as_dataset", "build_from_config", "check_model", "fit", "resume_run", "run_experiment", "run_or_reuse",
           "summary_line", "train"]
