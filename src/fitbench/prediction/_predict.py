"""Predictions of a run's saved model on new inputs, prepared exactly like its training data.

The model opens in Keras' safe mode and no factory the run folder names is imported: a
run folder is untrusted input, and predicting must not run code because a folder says so.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from fitbench import _io
from fitbench.data._registry import recorded_class_names
from fitbench.errors import DataError, FitbenchError
from fitbench.prediction._inputs import read_inputs

if TYPE_CHECKING:
    from fitbench.runs import SavedRun

__all__ = ["Prediction", "image_size", "load_model_safely", "predict", "prepare_inputs"]

MODEL = "model.keras"
_RAW_MAX = {"digits": 16.0}  # the raw pixel scale of a data set, where it is not 255
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


def predict(run: SavedRun, x: Any, *, model: Any = None) -> Prediction:
    """Predict ``x``: image files, folders of images, CSV files (a path or a list of them),
    or an array prepared like the run's data (``run.data.x_test``)."""
    model = model if model is not None else load_model_safely(run.path)
    names, prepared = prepare_inputs(x, run.config, model)
    from fitbench.models import predict as predict_probabilities

    probabilities = np.asarray(predict_probabilities(model, prepared))
    section = run.config.get("dataset") or {}
    return Prediction(names, probabilities, recorded_class_names(section, probabilities.shape[1]))


def prepare_inputs(x: Any, config: dict[str, Any], model: Any) -> tuple[list[str], np.ndarray]:
    """Names and model-ready inputs for ``x`` (paths, or an array prepared like the run's data),
    as ``predict`` feeds them to the model (``fitbench explain`` reuses them)."""
    if isinstance(x, (str, os.PathLike)) or (isinstance(x, Sequence) and x and isinstance(x[0], (str, os.PathLike))):
        return _prepare_files([x] if isinstance(x, (str, os.PathLike)) else list(x), config, model)
    prepared = np.asarray(x, dtype=np.float32)
    return [str(k) for k in range(len(prepared))], prepared


def image_size(model: Any) -> tuple[int, int]:
    """The (h, w) of the images ``model`` takes, however its inputs are shaped."""
    return _image_format(tuple(model.input_shape[1:]))[0]


def _prepare_files(paths: list[str | os.PathLike[str]], config: dict[str, Any], model: Any) -> tuple[list[str], np.ndarray]:
    """The images, shaped, coloured and scaled as the model was trained."""
    shape = tuple(model.input_shape[1:])  # (h, w), (h, w, 1), (h, w, 3) or flat (h * w,)
    size, mode = _image_format(shape)
    inputs = read_inputs(paths, size=size, color_mode=mode)
    section = config.get("dataset") or {}
    x = inputs.pixels.astype(np.float32) / np.float32(255.0)  # 0..1, what normalize gives every source
    if not section.get("normalize", True):
        x *= np.float32(_RAW_MAX.get(str(section.get("name")), 255.0))  # back to the raw scale it trained on
    return inputs.names, x.reshape((len(x), *shape))


def _image_format(given: tuple[int | None, ...]) -> tuple[tuple[int, int], str]:
    if any(dim is None for dim in given):
        raise DataError(f"the model takes inputs of shape {given}, whose size is not fixed; "
                        "prepare the images in Python and call run.predict(array)")
    shape = tuple(int(dim or 0) for dim in given)
    if len(shape) == 1 and math.isqrt(shape[0]) ** 2 == shape[0]:
        side = math.isqrt(shape[0])
        return (side, side), "grayscale"
    if len(shape) == 2:
        return (shape[0], shape[1]), "grayscale"
    if len(shape) == 3 and shape[2] in (1, 3):
        return (shape[0], shape[1]), "rgb" if shape[2] == 3 else "grayscale"
    raise DataError(f"the model takes inputs of shape {shape}, which are not images; "
                    "prepare them in Python and call run.predict(array)")
