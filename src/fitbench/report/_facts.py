"""What reports read from a run: recorded scores, class names, a model's one-line description,
and predictions (which need the saved model and the data to load)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from fitbench.errors import FitbenchError
from fitbench.models import predict
from fitbench.plots import ConfusionMatrix, confusion_matrix

if TYPE_CHECKING:
    from fitbench.runs import Run


class Predictions(NamedTuple):
    x: np.ndarray  # (n, height, width) images of the split
    y: np.ndarray  # (n,) true labels
    probabilities: np.ndarray  # (n, classes)
    class_names: tuple[str, ...]


def class_names(config: Mapping[str, Any], classes: int) -> list[str]:
    """The class names fitbench gives the run's data set (without loading it)."""
    from fitbench.data._dataset import DIGIT_NAMES, FASHION_NAMES

    name = (config.get("dataset") or {}).get("name")
    names = FASHION_NAMES if name == "fashion_mnist" else DIGIT_NAMES
    return list(names[:classes]) if classes <= len(names) else [str(k) for k in range(classes)]


def recorded_confusion(run: Run, split: str) -> ConfusionMatrix:
    """The confusion matrix of ``split`` saved in metrics.json (no model or data needed)."""
    recorded = run.recorded(split)
    if recorded is None:
        have = ", ".join(run.metrics.get("splits", {})) or "none"
        raise FitbenchError(f"{run.path}: no {split} scores recorded in metrics.json (recorded splits: {have})")
    counts = recorded["confusion_matrix"]
    return confusion_matrix(counts, class_names(run.config, len(counts)), split)


def predictions(run: Run, split: str) -> Predictions:
    """The saved model's class probabilities on ``split``; FitbenchError if model or data do not load."""
    x, y = run.data.split(split)  # type: ignore[arg-type]
    if not len(y):
        raise FitbenchError(f"the {split} split of this run's data is empty")
    probabilities = predict(run.model, x)
    return Predictions(x, y, probabilities, tuple(run.data.class_names))


def model_label(config: Mapping[str, Any]) -> str:
    """``first``, ``dropout (rate=0.5)``, ``layers: flatten, dense 64, dense 10``, ``factory pkg:fn``."""
    model = config.get("model") or {}
    if model.get("zoo"):
        options = ", ".join(f"{key}={value}" for key, value in model.items()
                            if key != "zoo" and value not in (None, [], {}))
        return f"{model['zoo']} ({options})" if options else str(model["zoo"])
    if model.get("layers"):
        return "layers: " + ", ".join(_layer_label(layer) for layer in model["layers"])
    if model.get("factory"):
        return f"factory {model['factory']}"
    return str(model.get("python") or "?")


def _layer_label(layer: Any) -> str:
    if isinstance(layer, str):
        return layer
    size = layer.get("units") or layer.get("filters") or layer.get("rate") or layer.get("factor")
    return f"{layer.get('type')} {size}" if size is not None else str(layer.get("type"))


def split_for_analysis(run: Run, split: str | None) -> str:
    """The split to study mistakes on: as asked, else validation (test is for the final score)."""
    recorded = run.metrics.get("splits") or {}
    if split is not None:
        return split
    return "val" if "val" in recorded else "test" if "test" in recorded else "train"
