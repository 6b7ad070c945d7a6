"""Predictions of a run's saved model on new inputs, prepared as its ``preparation.json`` says.

The model opens in Keras' safe mode and no factory the run folder names is imported: a
run folder is untrusted input, and predicting must not run code because a folder says so.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from fitbench import _io
from fitbench._compile_cache import compilation_cache
from fitbench.data._folder import default_cache_dir
from fitbench.data._registry import recorded_class_names
from fitbench.errors import FitbenchError
from fitbench.prediction._inputs import Inputs, read_inputs, say_changes
from fitbench.runs._preparation import read_preparation

if TYPE_CHECKING:
    from fitbench.runs import SavedRun

__all__ = ["Prediction", "compile_cache", "load_model_safely", "predict", "prepare_inputs"]

MODEL = "model.keras"
JAX_CACHE = "jax"  # the compiled programs' folder in fitbench's cache
TOP = 3


class Prediction(NamedTuple):
    """Class probabilities for named inputs."""

    names: list[str]
    probabilities: np.ndarray  # (n, classes)
    class_names: tuple[str, ...]

    @property
    def labels(self) -> np.ndarray:
        """The predicted class ids, ``(n,)``."""
        return self.probabilities.argmax(axis=1)

    def top(self, k: int = TOP) -> list[list[tuple[str, float]]]:
        """Per input, the ``k`` likeliest classes as ``(name, probability)``, likeliest first."""
        order = np.argsort(-self.probabilities, axis=1, kind="stable")[:, :k]
        return [[(self.class_names[c], float(row[c])) for c in best] for row, best in zip(self.probabilities, order,
                                                                                           strict=True)]

    def rows(self) -> tuple[list[str], list[list[Any]]]:
        """Columns and rows of predictions.csv: the input, the predicted class and its
        probability, then the second and third likeliest classes with theirs."""
        columns = ["input", "predicted", "probability"]
        for rank in range(2, TOP + 1):
            columns += [f"top{rank}", f"top{rank}_probability"]
        rows = []
        for name, best in zip(self.names, self.top(TOP), strict=True):
            cells: list[Any] = [name]
            for label, probability in best:
                cells += [label, f"{probability:.6f}"]
            rows.append(cells + [""] * (len(columns) - len(cells)))
        return columns, rows

    def write_csv(self, path: str | os.PathLike[str], *, kaggle: bool = False) -> Path:
        """Write the rows (``kaggle``: Kaggle's ``ImageId,Label`` submission layout) atomically."""
        path = Path(path)
        if kaggle:
            _io.write_csv(path, ["ImageId", "Label"], [[k, int(label)] for k, label in enumerate(self.labels, 1)])
        else:
            _io.write_csv(path, *self.rows())
        return path


def load_model_safely(folder: Path) -> Any:
    """The run's ``model.keras`` in Keras' safe mode, with fitbench's own layers known."""
    from fitbench.models._safe_load import open_model  # registers fitbench's own layers and models
    from fitbench.runs import DamagedFile

    path = folder / MODEL
    try:
        return open_model(path)
    except FileNotFoundError:
        raise FitbenchError(f"{folder}: no {MODEL} in this run folder; predict with a complete run") from None
    except DamagedFile as error:  # a link, damaged, or over the budget
        raise FitbenchError(f"{folder}: {error}") from None
    except Exception as error:  # Keras raises many types for a damaged or foreign file
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise FitbenchError(f"{path}: cannot load the model in safe mode ({reason}); a model from a factory "
                            "needs its code: load the run in Python, import the factory, then run.predict(x)") from None


@contextlib.contextmanager
def compile_cache() -> Iterator[None]:
    """JAX's persistent compilation cache in ``<fitbench cache>/jax``: a run's forward pass
    (and its loading) compiles once, not in every ``fitbench predict``."""
    with compilation_cache(default_cache_dir() / JAX_CACHE):
        yield


def predict(run: SavedRun, x: Any, *, model: Any = None) -> Prediction:
    """Predict ``x``: image files, folders of images, CSV files (a path or a list of them),
    prepared as the run's ``preparation.json`` says, or an array prepared like the run's data
    (``run.data.x_test``). Inputs converted to match the training images are said so, once."""
    with compile_cache():
        model = model if model is not None else load_model_safely(run.path)
        names, prepared, changes = prepare_inputs(run, x, model)
        say_changes(changes, len(names))
        from fitbench.models import predict as predict_probabilities

        probabilities = np.asarray(predict_probabilities(model, prepared))
    section = run.config.get("dataset") or {}
    return Prediction(names, probabilities, recorded_class_names(section, probabilities.shape[1]))


def prepare_inputs(run: SavedRun, x: Any, model: Any) -> Inputs:
    """``x`` as ``predict`` feeds it to ``model``, shaped as the model takes it: files prepared
    as the run's ``preparation.json`` says, an array as it is (``fitbench explain`` reuses this)."""
    shape = tuple(model.input_shape[1:])  # (h, w), (h, w, 1), (h, w, 3) or flat (h * w,)
    if isinstance(x, (str, os.PathLike)) or (isinstance(x, Sequence) and x and isinstance(x[0], (str, os.PathLike))):
        inputs = read_inputs([x] if isinstance(x, (str, os.PathLike)) else list(x),
                             read_preparation(run.path, run.config, shape))
        return inputs._replace(pixels=inputs.pixels.reshape((len(inputs.names), *shape)))
    prepared = np.asarray(x, dtype=np.float32)
    return Inputs([str(k) for k in range(len(prepared))], prepared, Counter())
