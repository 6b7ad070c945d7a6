"""Per-epoch checkpoints, so a killed run continues exactly where it stopped.

``checkpoint.npz`` (one file, replaced atomically after every finished epoch) holds every
model variable (weights, BatchNormalization statistics, the seed state of Dropout and
random augmentation), every optimizer variable (moments, step count), and a JSON record:
the epoch, the history so far, the early-stopping state with its best weights, and the
NumPy/Python random state from which Keras draws the next epoch's shuffle. The compiled
engine derives its shuffle from (seed, epoch), so nothing more is needed for it.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fitbench import _io
from fitbench._keras import keras
from fitbench.errors import FitbenchError
from fitbench.runs._archives import read_npz
from fitbench.runs._budget import CHECKPOINT, NPZ, NpzBudget
from fitbench.runs._files import DamagedFile, first_line

RECORD = 64_000_000  # the JSON record (history rows, random states) as NumPy's UTF-32 string and the key array


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """Keras' EarlyStopping whose counters and best weights can be saved and restored."""

    def state(self) -> dict[str, Any]:
        return {"wait": self.wait, "best": None if self.best is None else float(self.best),
                "best_epoch": self.best_epoch, "stopped_epoch": self.stopped_epoch}

    def restore(self, state: dict[str, Any], best_weights: list[np.ndarray] | None) -> None:
        self.wait, self.best_epoch, self.stopped_epoch = state["wait"], state["best_epoch"], state["stopped_epoch"]
        self.best = state["best"]
        self.best_weights = best_weights


@dataclass
class Saved:
    """What a checkpoint holds besides the variables."""

    epoch: int  # the last finished epoch, 0-based
    rows: list[dict[str, float]]
    times: list[float]
    wall_time_s: float
    early_stopping: dict[str, Any] | None
    best_weights: list[np.ndarray] | None
    numpy_state: Any
    python_state: Any


class Checkpoint(keras.callbacks.Callback):
    """Writes the checkpoint after each finished epoch; on resume, restores the random and
    early-stopping state when training starts (after Keras and EarlyStopping reset theirs)."""

    def __init__(self, folder: Path, history: Any, stopper: ResumableEarlyStopping | None,
                 stop: Any, *, engine: str, resumed: Saved | None = None) -> None:
        super().__init__()
        self.folder, self.history, self.stopper, self.stop = folder, history, stopper, stop
        self.engine, self.resumed = engine, resumed

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self.resumed is None:
            return
        np.random.set_state(self.resumed.numpy_state)
        random.setstate(self.resumed.python_state)
        if self.stopper is not None and self.resumed.early_stopping is not None:
            self.stopper.restore(self.resumed.early_stopping, self.resumed.best_weights)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.stop.received is not None and self.engine == "keras":
            return  # Keras stopped mid-epoch: that epoch is not finished, keep the last checkpoint
        save(self.folder, self.model, epoch=epoch, rows=self.history.rows, times=self.history.epoch_times,
             wall_time_s=self.history.wall_time_s(), stopper=self.stopper)


def save(folder: Path, model: keras.Model, *, epoch: int, rows: list[dict[str, float]], times: list[float],
         wall_time_s: float, stopper: ResumableEarlyStopping | None) -> None:
    arrays = {f"model_{i}": np.asarray(v.value) for i, v in enumerate(model.variables)}
    arrays |= {f"optimizer_{i}": np.asarray(v.value) for i, v in enumerate(model.optimizer.variables)}
    best = stopper.best_weights if stopper is not None and stopper.best_weights is not None else []
    arrays |= {f"best_{i}": np.asarray(w) for i, w in enumerate(best)}
    # The legacy form is a tuple while the global generator is NumPy's MT19937, as fitbench leaves it.
    numpy_state = np.random.get_state(legacy=True)
    assert isinstance(numpy_state, tuple), "NumPy's global random generator is no longer MT19937"
    arrays["numpy_keys"] = numpy_state[1]
    record = {
        "epoch": epoch, "rows": rows, "times": times, "wall_time_s": wall_time_s,
        "early_stopping": stopper.state() if stopper is not None else None, "has_best_weights": bool(best),
        "numpy_state": [numpy_state[0], *[_plain(part) for part in numpy_state[2:]]],
        "python_state": _plain(random.getstate()),
    }
    arrays["record"] = np.array(json.dumps(record))
    _io.atomic_write(folder / CHECKPOINT, lambda tmp: np.savez(tmp, **arrays))  # type: ignore[arg-type, unused-ignore]  # NumPy 2's stub: a **dict might fill allow_pickle


def load(folder: Path, model: keras.Model) -> Saved:
    """Put the checkpoint's variables into ``model`` (compiled, optimizer built) and return the rest.

    A damaged checkpoint (truncated, bit-flipped, empty, another kind of file, a record with
    missing or wrong values) is a one-line FitbenchError, raised before the model is changed.
    """
    path = folder / CHECKPOINT
    arrays, saved = _read(path, _budget(model))
    _assign(model.variables, arrays, "model", path)
    _assign(model.optimizer.variables, arrays, "optimizer", path)
    return saved


def _budget(model: keras.Model) -> NpzBudget:
    """What this model's checkpoint may hold: its variables, the optimizer's, and the best
    weights (each array once), beside the record; never more than the budget of any checkpoint."""
    variables = [*model.variables, *model.optimizer.variables, *model.weights]
    size = sum(math.prod(v.shape) * np.dtype(v.dtype).itemsize for v in variables)
    general = NPZ[CHECKPOINT]
    return NpzBudget(members=min(len(variables) + 2, general.members), total=min(size + RECORD, general.total))


def _read(path: Path, budget: NpzBudget) -> tuple[dict[str, np.ndarray], Saved]:
    try:
        arrays = read_npz(path, budget, kinds="biufU")  # U: the JSON record
    except (DamagedFile, OSError) as error:  # over the budget, not an .npz of arrays, or gone: said before reading
        raise FitbenchError(f"{path}: cannot read the checkpoint ({first_line(error)}); the run cannot be resumed "
                            "from it: delete it to start the run over") from None
    try:
        record = json.loads(str(arrays["record"]))
        count = sum(1 for key in arrays if key.startswith("best_"))
        best = [arrays[f"best_{i}"] for i in range(count)] if record["has_best_weights"] else None
        kind, *rest = record["numpy_state"]
        # NumPy 1.26's set_state reads 624 words whatever it is given: a shorter key array
        # crashes the interpreter instead of raising, so its shape is checked first.
        if kind != "MT19937" or arrays["numpy_keys"].shape != (624,) or len(rest) != 3:
            raise ValueError("the NumPy random state is not an MT19937 state of 624 words")
        saved = Saved(epoch=int(record["epoch"]), rows=list(record["rows"]), times=list(record["times"]),
                      wall_time_s=float(record["wall_time_s"]), early_stopping=record["early_stopping"],
                      best_weights=best, numpy_state=(kind, arrays["numpy_keys"], *rest),
                      python_state=_tuples(record["python_state"]))
        # Set both random states on spare generators now, so a bad one fails here and not mid-training.
        np.random.RandomState().set_state(saved.numpy_state)
        random.Random().setstate(saved.python_state)
    except Exception as error:  # numpy, zipfile, json and random raise a dozen kinds for a damaged file
        raise FitbenchError(f"{path}: cannot read the checkpoint ({_damage(error)}); the run cannot be resumed "
                            "from it: delete it to start the run over") from None
    return arrays, saved


def _damage(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0][:200]}" if lines else type(error).__name__


def _assign(variables: list[Any], arrays: dict[str, np.ndarray], prefix: str, path: Path) -> None:
    stored = sum(1 for key in arrays if key.startswith(f"{prefix}_"))
    if stored != len(variables):
        raise FitbenchError(
            f"{path}: the checkpoint holds {stored} {prefix} variables but the model has {len(variables)}; "
            "it belongs to another model, so the run cannot be resumed with this one"
        )
    for i, variable in enumerate(variables):
        value = arrays[f"{prefix}_{i}"]
        if tuple(value.shape) != tuple(variable.shape):
            raise FitbenchError(f"{path}: {prefix} variable {variable.path} has shape {tuple(variable.shape)} "
                                f"but the checkpoint holds {value.shape}; it belongs to another model")
        variable.assign(value)


def _plain(value: Any) -> Any:
    # JSON for random states: tuples become lists, numpy scalars Python numbers.
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    return value.item() if isinstance(value, np.generic) else value


def _tuples(value: Any) -> Any:
    return tuple(_tuples(item) for item in value) if isinstance(value, list) else value
