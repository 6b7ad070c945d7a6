"""What a run's model looked at: integrated gradients (or occlusion) per image, computed
through JAX on the model's stateless call, each map sanity-checked against a re-initialised
model (Adebayo et al., 2018) and by deleting its top pixels.

>>> explanation = run.explain(["seven.png"])
>>> explanation.checks.mean_spearman, explanation.passed(0)
(0.08, ['randomisation', 'deletion'])
>>> explanation.save_png(0, "seven-explained.png")
"""

from __future__ import annotations

from fitbench.explain._attribution import STEPS, integrated_gradients, occlusion
from fitbench.explain._checks import SanityChecks, deletion_drops, random_weights, rank_correlations
from fitbench.explain._explain import METHODS, cascading_randomisation, explain, sanity_checks
from fitbench.explain._explanation import Explanation

__all__ = [
    "METHODS",
    "STEPS",
    "Explanation",
    "SanityChecks",
    "cascading_randomisation",
    "deletion_drops",
    "explain",
    "integrated_gradients",
    "occlusion",
    "random_weights",
    "rank_correlations",
    "sanity_checks",
]
