"""Rules about how far a score can be trusted: a small validation set, and the test set leaking
into choices it must not influence."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from fitbench._interval import Z95, interval_half_width
from fitbench.runs._record import SplitScores
from fitbench.diagnosis._finding import Finding, points

# Course variants differ by one to three points: an interval wider than +/-2 points hides them.
NOISY_HALF_WIDTH = 0.02


def noisy_validation(n: int, accuracy: float) -> Finding | None:
    """A validation set so small that its score moves by more than the differences being compared."""
    half = interval_half_width(accuracy, n)
    if half < NOISY_HALF_WIDTH:
        return None
    needed = math.ceil(Z95 ** 2 * max(accuracy * (1 - accuracy), 0.01) / (NOISY_HALF_WIDTH / 2) ** 2)
    return Finding(
        "noisy_validation", "warning", f"the validation set ({n} images) is too small to tell close runs apart",
        f"validation accuracy {accuracy:.4f} +/- {points(half)} (95% interval "
        f"{max(accuracy - half, 0):.3f} to {min(accuracy + half, 1):.3f})",
        f"treat differences under {points(half)} as noise; validate on more images (about {needed:,} for "
        "+/-1 point) or use cross-validation", {"n": n, "half_width": half})


def test_leakage_in_records(val: SplitScores | None, test: SplitScores | None) -> Finding | None:
    """The validation scores recorded equal the test scores exactly: the same images."""
    if not val or not test:
        return None
    if val.n != test.n or val.confusion_matrix != test.confusion_matrix or val.loss != test.loss:
        return None
    return _leak(f"validation and test have identical scores ({val.n} images, accuracy {val.accuracy:.4f}, "
                 f"loss {val.loss or 0:.4f}): the test set was used for validation", {"n": val.n})


def test_leakage_in_config(config: Mapping[str, Any], where: str = "") -> Finding | None:
    """A setting that scores or selects on the test split, e.g. ``tuning: {split: test}``."""
    for key, value in config.items():
        path = f"{where}.{key}" if where else str(key)
        if isinstance(value, Mapping):
            found = test_leakage_in_config(value, path)
            if found:
                return found
        elif value == "test" and ("split" in str(key) or str(key).endswith("_on") or "objective" in str(key)):
            return _leak(f"{path}: test in the run's config", {"key": path})
    return None


def _fingerprints(x: np.ndarray) -> set[bytes]:
    rows = np.ascontiguousarray(np.asarray(x, dtype=np.float32)).reshape(len(x), -1)
    return {hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in rows}


def test_leakage_in_arrays(x_val: np.ndarray, x_test: np.ndarray) -> Finding | None:
    """Most validation images are also test images: choosing epochs or models on them uses test."""
    if not len(x_val) or not len(x_test):
        return None
    shared = len(_fingerprints(x_val) & _fingerprints(x_test))
    if shared < 0.5 * len(x_val):
        return None
    return _leak(f"{shared} of the {len(x_val)} validation images are also in the test set",
                 {"shared": shared, "n_val": int(len(x_val))})


def _leak(evidence: str, numbers: dict[str, Any]) -> Finding:
    return Finding("test_leakage", "error", "the test set was used to choose (epochs, models or settings)",
                   evidence, "validate on a split of the training data (validation_split=0.2) and score "
                   "test once, for the chosen model", numbers)
