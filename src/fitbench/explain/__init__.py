"""What a run's model looked at: integrated gradients (or occlusion) per image, computed
through JAX on the model's stateless call, each map sanity-checked against a re-initialised
model (Adebayo et al., 2018) and by deleting its top pixels.

>>> explanation = run.explain(["seven.png"])
>>> explanation.checks.mean_spearman, explanation.passed(0)
(0.08, ['randomisation', 'deletion'])
>>> explanation.save_png(0, "seven-explained.png")
>>> run.save_explanations()  # the report's mistakes and top losses, into <run>/explanations.npz
"""

from __future__ import annotations

from fitbench.explain._attribution import STEPS, Attributor, integrated_gradients, occlusion, pixel_shape
from fitbench.explain._checks import SanityChecks, deletion_drops, random_weights, rank_correlations
from fitbench.explain._explain import METHODS, cascading_randomisation, explain, explain_with, judged, sanity_checks
from fitbench.explain._explanation import Explanation
from fitbench.explain._saved import save_explanations

__all__ = [
    "METHODS",
    "STEPS",
    "Attributor",
    "Explanation",
    "SanityChecks",
    "cascading_randomisation",
    "deletion_drops",
    "explain",
    "explain_with",
    "integrated_gradients",
    "judged",
    "occlusion",
    "pixel_shape",
    "random_weights",
    "rank_correlations",
    "sanity_checks",
    "save_explanations",
]
