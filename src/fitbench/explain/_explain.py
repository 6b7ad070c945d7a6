"""``explain(run, x)``: attribution maps of a run's model for new inputs, sanity-checked."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from fitbench.data._registry import recorded_class_names
from fitbench.errors import ConfigError
from fitbench.explain._attribution import STEPS, Attributor, integrated_gradients, occlusion, pixel_shape
from fitbench.explain._checks import SanityChecks, deletion_drops, random_weights, rank_correlations
from fitbench.explain._explanation import Explanation
from fitbench.prediction import compile_cache, load_model_safely, prepare_inputs
from fitbench.prediction._inputs import say_changes
from fitbench.runs._preparation import from_config

if TYPE_CHECKING:
    from fitbench.runs import SavedRun

__all__ = ["METHODS", "attribute", "cascading_randomisation", "explain", "explain_with", "judged", "sanity_checks"]

Method = Literal["auto", "integrated_gradients", "occlusion"]
METHODS = ("auto", "integrated_gradients", "occlusion")


def explain(run: SavedRun, x: Any, *, method: Method = "auto", steps: int = STEPS, checks: bool = True,
            seed: int = 0, model: Any = None) -> Explanation:
    """Maps of what ``run``'s model used to predict each input of ``x`` (image files, folders,
    CSV files, or an array prepared like the run's data), for its predicted class.

    ``method``: integrated gradients, occlusion, or ``auto``: integrated gradients unless
    they vanish for every image (a model without useful gradients), then occlusion.
    ``checks``: run the randomisation and deletion checks (``seed`` draws their randomness).
    """
    if method not in METHODS:
        raise ConfigError(f"explain: got method={method!r}; expected one of: {', '.join(METHODS)}")
    if not 1 <= steps <= 1024:
        raise ConfigError(f"explain: got steps={steps!r}; expected 1..1024 interpolation steps (32 is usual)")
    with compile_cache():
        model = model if model is not None else load_model_safely(run.path)
        names, inputs, changes = prepare_inputs(run, x, model)
        say_changes(changes, len(names))
        from fitbench.models import predict

        probabilities = np.asarray(predict(model, inputs))
    predicted = probabilities.argmax(axis=1)
    size = from_config(run.config, tuple(model.input_shape[1:])).size  # (h, w), known for any image model
    used, maps = attribute(model, inputs, predicted, size, method, steps)
    found = (sanity_checks(model, inputs, maps, predicted, size=size, method=used, steps=steps, seed=seed)
             if checks else None)
    section = run.config.get("dataset") or {}
    return Explanation(names, _drawable(inputs, size), maps, predicted,
                       probabilities[np.arange(len(inputs)), predicted],
                       recorded_class_names(section, probabilities.shape[1]), used, found)


def sanity_checks(model: Any, x: np.ndarray, maps: np.ndarray, targets: np.ndarray, *, size: tuple[int, int],
                  method: str = "integrated_gradients", steps: int = STEPS, seed: int = 0) -> SanityChecks:
    """Both checks for ``maps`` ``(n, h, w)`` of ``model`` on inputs ``x`` for classes ``targets``."""
    from fitbench.models import predict

    weights = random_weights(model, seed)
    if method == "occlusion":
        other = occlusion(model, x, targets, size=size, trainable=weights)
    else:
        other = integrated_gradients(model, x, targets, steps=steps, trainable=weights)

    def probability(inputs: np.ndarray) -> np.ndarray:
        return np.asarray(predict(model, inputs))[np.arange(len(inputs)), targets]

    return judged(x, maps, pixel_shape(other, size), probability, seed=seed)


def judged(x: np.ndarray, maps: np.ndarray, other: np.ndarray, probability: Callable[[np.ndarray], np.ndarray], *,
           seed: int) -> SanityChecks:
    """The checks' numbers for ``maps`` against ``other``, the re-initialised model's maps;
    ``probability(inputs)``: the explained class's probability per input."""
    top, random = deletion_drops(probability, x, maps, seed=seed)
    return SanityChecks(rank_correlations(maps, other, x), top, random)


def explain_with(attributor: Attributor, x: np.ndarray, targets: np.ndarray,
                 probability: Callable[[np.ndarray], np.ndarray], *, size: tuple[int, int],
                 seed: int = 0) -> tuple[np.ndarray, SanityChecks]:
    """Integrated-gradients maps ``(n, h, w)`` from a kept ``Attributor`` (compiled once), and
    their checks: for callers that explain again and again with their own forward pass (the
    web server, which never calls Keras' predict from many threads)."""
    maps = pixel_shape(attributor(x, targets), size)
    other = pixel_shape(attributor(x, targets, random_weights(attributor.model, seed)), size)
    return maps, judged(x, maps, other, probability, seed=seed)


def cascading_randomisation(model: Any, x: np.ndarray, maps: np.ndarray, targets: np.ndarray, *,
                            size: tuple[int, int], steps: int = STEPS, seed: int = 0) -> list[tuple[str, float]]:
    """Adebayo et al.'s cascade: the weighted layers re-initialised from the output down, one
    more at each stage; per stage, the layer last re-initialised and the mean Spearman
    correlation of the integrated-gradients maps with ``maps``. The last stage is the whole
    model re-initialised, as in ``sanity_checks``."""
    fresh = random_weights(model, seed)
    index = {id(variable): k for k, variable in enumerate(model.trainable_variables)}
    values = [variable.value for variable in model.trainable_variables]
    stages = []
    for layer in reversed([layer for layer in model.layers if layer.trainable_variables]):
        for variable in layer.trainable_variables:
            values[index[id(variable)]] = fresh[index[id(variable)]]
        other = integrated_gradients(model, x, targets, steps=steps, trainable=list(values))
        stages.append((layer.name, float(rank_correlations(maps, pixel_shape(other, size), x).mean())))
    return stages


def attribute(model: Any, x: np.ndarray, targets: np.ndarray, size: tuple[int, int], method: str = "auto",
              steps: int = STEPS) -> tuple[str, np.ndarray]:
    """The method used (``method``, or for ``auto`` the first of integrated gradients and
    occlusion that says something) and its maps ``(n, h, w)``."""
    if method != "occlusion":
        maps = pixel_shape(integrated_gradients(model, x, targets, steps=steps), size)
        if method == "integrated_gradients" or (np.isfinite(maps).all() and np.abs(maps).max(initial=0.0) > 0):
            return "integrated_gradients", maps
    return "occlusion", occlusion(model, x, targets, size=size)


def _drawable(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The inputs as images, 0..1: (n, h, w), or (n, h, w, 3) for colour."""
    images = np.asarray(x, np.float64).reshape((len(x), *size, -1))
    images = images[..., 0] if images.shape[-1] == 1 else images
    return np.clip(images / max(1.0, float(images.max(initial=0.0))), 0.0, 1.0)
