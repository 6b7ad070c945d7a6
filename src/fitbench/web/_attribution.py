"""What the model looked at for a drawing: integrated gradients of its answer over the image it
saw, with the sanity checks the map passed, through ``fitbench.explain`` on the model the
server keeps loaded (its ``Attributor`` compiled at load, its own thread-safe forward pass for
the deletion check: Keras' predict is never called from the server's threads)."""

from __future__ import annotations

import numpy as np

from fitbench.web._models import Loaded, probabilities
from fitbench.web._schemas import Attribution

SEED = 0  # the checks' random weights and pixels: the same drawing gets the same answer


def attribution(loaded: Loaded, image: np.ndarray, label: int) -> Attribution | None:
    """The map of class ``label`` over ``image`` (prepared as ``loaded.preparation`` says, ``(h, w[, c])``),
    None when the model's gradients cannot be taken or say nothing."""
    if loaded.attributor is None:
        return None
    from fitbench.explain import explain_with

    x = image.reshape((1, *loaded.input_shape)).astype(np.float32)
    target = np.array([label])

    def probability(inputs: np.ndarray) -> np.ndarray:
        return probabilities(loaded, inputs)[np.arange(len(inputs)), label]

    maps, checks = explain_with(loaded.attributor, x, target, probability, size=image.shape[:2], seed=SEED)
    bound = float(np.abs(maps[0]).max(initial=0.0))
    if not (np.isfinite(maps).all() and np.isfinite(checks).all()) or bound == 0:
        return None
    return Attribution(map=(maps[0] / bound).round(4).tolist(), method="integrated_gradients",
                       passed=checks.passed(0), spearman=float(checks.spearman[0]),
                       top_drop=float(checks.top_drop[0]), random_drop=float(checks.random_drop[0]))
