"""Saved models for prediction: loaded safely, once per run, kept in a small LRU cache."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fitbench.errors import FitbenchError
from fitbench.runs import _folder

CACHED_MODELS = 4  # a class's handful of runs; each `first` model is ~1.5 MB of weights


class CannotPredict(FitbenchError):
    """The run exists but its model cannot read this image (no model, or another input size)."""


@dataclass(frozen=True)
class Loaded:
    """A run's model with what prediction needs to know about the run."""

    model: Any
    scale: float  # 1.0: pixels in 0..1; 255.0: the run was trained on raw pixels
    input_shape: tuple[int, ...]  # without the batch axis


class ModelCache:
    """Bounded LRU of loaded models, keyed by run folder and model file mtime (a retrained run reloads)."""

    def __init__(self, size: int = CACHED_MODELS) -> None:
        self.size = size
        self._models: OrderedDict[tuple[Path, int], Loaded] = OrderedDict()
        self._lock = threading.Lock()  # requests run in a thread pool

    def get(self, path: Path) -> Loaded:
        model_file = path / _folder.MODEL
        try:
            key = (path, model_file.stat().st_mtime_ns)
        except OSError:
            raise CannotPredict(f"{path.name} has no {_folder.MODEL} (state: {_folder.run_state(path)}); "
                                "choose a complete run") from None
        with self._lock:  # one load at a time: two requests for one run load it once
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            for old in [k for k in self._models if k[0] == path]:  # a stale copy of a retrained run
                del self._models[old]
            loaded = load(path)
            self._models[key] = loaded
            while len(self._models) > self.size:
                self._models.popitem(last=False)
            return loaded

    def __len__(self) -> int:
        return len(self._models)


def load(path: Path) -> Loaded:
    """Load ``<run>/model.keras`` in Keras safe mode: a model file cannot run code (no Lambda layers)."""
    import fitbench.models  # noqa: F401  registers fitbench's own layers and models
    from fitbench._keras import keras
    from fitbench.runs import Run

    run = Run(path)
    factory = (run.config.get("model") or {}).get("factory")
    if factory:  # an installed module named in the config registers the custom layers it needs
        from fitbench.models import resolve_factory

        resolve_factory(factory)
    try:
        model = keras.saving.load_model(path / _folder.MODEL, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many types for a damaged, foreign or unsafe file
        raise CannotPredict(f"{path.name}: cannot load its model: {_first_line(error)}") from None
    normalize = (run.config.get("dataset") or {}).get("normalize", True)
    return Loaded(model, 1.0 if normalize else 255.0, _input_shape(model, run.config))


def _input_shape(model: Any, config: dict[str, Any]) -> tuple[int, ...]:
    try:
        return tuple(model.input_shape[1:])
    except (AttributeError, ValueError, TypeError):  # a subclassed model may not record one
        from fitbench.web._catalog import input_hint

        return tuple(int(side) for side in input_hint(config).split("x"))


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def predict(loaded: Loaded, image: np.ndarray) -> np.ndarray:
    """Class probabilities of one ``(28, 28)`` image in 0..1, scaled as the run was trained."""
    shape = loaded.input_shape
    if int(np.prod([side or 0 for side in shape])) != image.size or tuple(shape[:2]) != image.shape:
        size = "x".join(str(side) for side in shape)
        raise CannotPredict(f"this run's model takes {size} images, not 28x28 drawings; choose an MNIST run")
    from fitbench.models import as_probabilities  # a model is loaded already: Keras is there

    batch = (image * loaded.scale).reshape((1, *shape)).astype(np.float32)
    try:
        # predict_on_batch: one compiled call (~0.1 ms) where model.predict spends ~0.6 ms on setup.
        probabilities = as_probabilities(loaded.model, np.asarray(loaded.model.predict_on_batch(batch)))[0]
    except Exception as error:  # a model whose layers do not accept this input after all
        raise CannotPredict(f"this run's model cannot read a 28x28 image: {_first_line(error)}") from None
    if not np.isfinite(probabilities).all():
        raise CannotPredict("this run's model answers NaN (its training diverged); choose another run")
    return probabilities
