"""Sanity checks of attribution maps: do they depend on what the model learned, and on what
it uses?

- Randomisation (Adebayo et al., "Sanity Checks for Saliency Maps", 2018): the maps of the
  trained model against those of the same model with re-initialised weights. A map that
  hardly changes (Spearman rank correlation of 0.5 or more) shows the input, not the model.
- Deletion: setting the 10% most-attributed pixels to the baseline must lower the predicted
  class's probability more than setting 10% of the pixels, drawn at random, to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from fitbench._sanity import DELETED, SIMILAR, SanityChecks  # declared below the views, shared with them

__all__ = ["DELETED", "SIMILAR", "SanityChecks", "deletion_drops", "random_weights", "rank_correlations"]


def random_weights(model: Any, seed: int) -> list[Any]:
    """New values for the model's trainable weights: Glorot-uniform kernels and zero biases,
    as Keras initialises Dense and Conv layers, drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    values = []
    for variable in model.trainable_variables:
        shape = tuple(variable.shape)
        if len(shape) < 2:
            values.append(np.zeros(shape, np.float32))
            continue
        receptive = int(np.prod(shape[:-2]))  # a conv kernel's window; 1 for Dense
        limit = np.sqrt(6.0 / (receptive * (shape[-2] + shape[-1])))
        values.append(rng.uniform(-limit, limit, shape).astype(np.float32))
    return values


def rank_correlations(maps: np.ndarray, other: np.ndarray, images: np.ndarray) -> np.ndarray:
    """Spearman's rank correlation of each pair of maps ``(n, h, w)``, over the pixels where
    the image differs from the black baseline: elsewhere integrated gradients are zero for
    any model, and counting those ties measures the image, not the model (the magnitudes of a
    trained and a random model's MNIST maps correlate at 0.99 over all pixels;
    benchmarks/explain.py)."""
    ink = np.abs(images).reshape((len(images), *maps.shape[1:], -1)).max(axis=-1) > 0
    correlations = []
    for a, b, where in zip(maps, other, ink, strict=True):
        a, b = a[where], b[where]
        ranked = len(a) > 2 and np.ptp(a) > 0 and np.ptp(b) > 0  # a constant map has no rank order to share
        correlations.append(float(spearmanr(a, b).statistic) if ranked else 0.0)
    return np.asarray(correlations)


def deletion_drops(probability: Callable[[np.ndarray], np.ndarray], x: np.ndarray, maps: np.ndarray,
                   *, seed: int, fraction: float = DELETED,
                   among: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The drops in the predicted class's probability (``probability(x)``: per input) when the
    ``fraction`` most-attributed pixels of each map, or as many random pixels, are set to 0.
    ``among``: ``(n, h, w)`` booleans, the pixels random ones are drawn from (default: all)."""
    n, pixels = len(maps), int(np.prod(maps.shape[1:]))
    count = max(1, round(fraction * pixels))
    top = np.argsort(-maps.reshape(n, pixels), axis=1, kind="stable")[:, :count]
    rng = np.random.default_rng(seed)
    chosen = np.stack([rng.choice(pixels, count, replace=False, p=_weights(among, k, pixels)) for k in range(n)])
    before = probability(x)
    return before - probability(_removed(x, top, pixels)), before - probability(_removed(x, chosen, pixels))


def _weights(among: np.ndarray | None, k: int, pixels: int) -> np.ndarray | None:
    """Draw weights for image ``k``: its allowed pixels, and the others only once those run out."""
    if among is None:
        return None
    weights = np.asarray(among[k], np.float64).reshape(pixels) + 1e-12
    return weights / weights.sum()


def _removed(x: np.ndarray, where: np.ndarray, pixels: int) -> np.ndarray:
    """``x`` with the pixels ``where`` (per image; every channel) set to the baseline, 0."""
    flat = np.array(x, np.float32).reshape((len(x), pixels, -1))
    np.put_along_axis(flat, where[..., None], 0.0, axis=1)
    return flat.reshape(x.shape)
