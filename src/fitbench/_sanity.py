"""The sanity checks' verdicts on attribution maps, from their saved numbers: what both the
computation (``fitbench.explain``) and the views of a run folder (report, web page) decide
with, so the thresholds live in one place and views never import JAX.

- Randomisation (Adebayo et al., "Sanity Checks for Saliency Maps", 2018): a map whose rank
  correlation with the re-initialised model's map reaches ``SIMILAR`` shows the input, not the model.
- Deletion: removing the ``DELETED`` share of most-attributed pixels must lower the predicted
  class's probability more than removing as many random pixels.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["CHECKS", "DELETED", "SIMILAR", "SanityChecks", "passed_line"]

SIMILAR = 0.5  # a map whose rank correlation with the random model's reaches this fails
DELETED = 0.10  # the share of pixels the deletion check removes
CHECKS = ("randomisation", "deletion")


class SanityChecks(NamedTuple):
    """Per map: its rank correlation with the randomised model's map, and the drops in the
    predicted class's probability when its top pixels, or as many random pixels, are removed."""

    spearman: np.ndarray  # (n,)
    top_drop: np.ndarray  # (n,)
    random_drop: np.ndarray  # (n,)

    @property
    def randomisation_passed(self) -> np.ndarray:
        return self.spearman < SIMILAR

    @property
    def deletion_passed(self) -> np.ndarray:
        return self.top_drop > self.random_drop

    @property
    def mean_spearman(self) -> float:
        return float(np.mean(self.spearman))

    @property
    def deletion_fraction(self) -> float:
        """The share of maps whose top pixels matter more than random ones."""
        return float(np.mean(self.deletion_passed))

    def passed(self, k: int) -> list[str]:
        """The names of the checks map ``k`` passed."""
        return [name for name, ok in zip(CHECKS, (self.randomisation_passed[k], self.deletion_passed[k]),
                                         strict=True) if ok]


def passed_line(passed: list[str]) -> str:
    """A map's checks in a few words, for a picture's title: ``checks passed: both``."""
    shown = "both" if len(passed) == len(CHECKS) else " and ".join(passed) or "none"
    return f"checks passed: {shown}"
