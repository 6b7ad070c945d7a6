"""Diagnosis: what an instructor would say about a run, with the numbers that prove it.

Each rule is a small function that returns a ``Finding`` (stable ``code``, ``severity``,
one-line ``verdict``, ``evidence``, ``advice``) or None. ``diagnose(run)`` applies the rules to
a run folder; ``check_arrays(model, dataset)`` checks the arrays before training, and
``check_before_training`` (called by ``fb.fit``) warns (``FitbenchWarning``) of what it finds.

>>> for finding in fb.diagnose(run):
...     print(finding)
"""

from __future__ import annotations

from fitbench._interval import interval_half_width
from fitbench.diagnosis._curves import (
    divergence,
    metric_loss_disagree,
    overfitting,
    scale_mismatch_in_history,
    underfitting,
)
from fitbench.diagnosis._diagnose import check_arrays, check_before_training, copies_across_splits, diagnose
from fitbench.diagnosis._finding import SEVERITIES, Finding
from fitbench.diagnosis._inputs import (
    double_scaling,
    flip_modes,
    label_changing_augmentation,
    rescalings,
    scale_mismatch,
    unscaled_inputs,
    value_ranges,
)
from fitbench.diagnosis._leakage import leakage
from fitbench.diagnosis._scores import (
    noisy_validation,
    test_leakage_in_arrays,
    test_leakage_in_config,
    test_leakage_in_records,
)
from fitbench.diagnosis._stopping import no_best_weights, noisy_stop

# The stable codes a finding may carry.
CODES = (
    "scale_mismatch", "unscaled_inputs", "double_scaling", "overfitting", "underfitting",
    "noisy_validation", "label_changing_augmentation", "no_best_weights", "noisy_stop",
    "divergence", "test_leakage", "metric_loss_disagree", "damaged_folder", "leakage",
)

__all__ = [
    "CODES",
    "Finding",
    "SEVERITIES",
    "check_arrays",
    "check_before_training",
    "copies_across_splits",
    "diagnose",
    "divergence",
    "double_scaling",
    "flip_modes",
    "interval_half_width",
    "label_changing_augmentation",
    "leakage",
    "metric_loss_disagree",
    "no_best_weights",
    "noisy_stop",
    "noisy_validation",
    "overfitting",
    "rescalings",
    "scale_mismatch",
    "scale_mismatch_in_history",
    "test_leakage_in_arrays",
    "test_leakage_in_config",
    "test_leakage_in_records",
    "underfitting",
    "unscaled_inputs",
    "value_ranges",
]
