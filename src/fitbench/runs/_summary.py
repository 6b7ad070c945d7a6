"""``RunSummary``: one run in one line, the type behind ``fitbench runs``, compare and the web list.

Built from a ``RunRecord`` alone: no model, no data, no Keras.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from fitbench._interval import interval_half_width
from fitbench.runs._budget import CHECKPOINT
from fitbench.runs._files import is_regular
from fitbench.runs._read import RunRecord


class RunSummary(NamedTuple):
    """One run's line; scores are None where a split was not recorded."""

    path: Path
    name: str  # the run's name; compare numbers repeats ("first #2")
    state: str  # complete, interrupted, failed, running, incomplete, or pruned (a tuning trial)
    model: str  # one-line description of the model, e.g. "dropout (rate=0.5)"
    dataset: str
    parameters: int | None
    epochs_run: int
    best_epoch: int | None
    train_accuracy: float | None
    val_accuracy: float | None
    test_accuracy: float | None
    train_macro_f1: float | None
    val_macro_f1: float | None
    test_macro_f1: float | None
    time_per_epoch_s: float | None
    wall_time_s: float | None
    val_half_width: float | None  # 95% interval of val_accuracy
    resumable: bool
    problems: tuple[str, ...]
    note: str | None  # e.g. why a trial was pruned, or that its study chose it


def summarize(record: RunRecord, *, name: str | None = None) -> RunSummary:
    """The summary of a run read with ``read_run``."""

    m = record.metrics
    state = record.state
    pruned = getattr(record.status, "pruned", None) if record.status else None
    # A tuning trial chosen by its study: the one trial whose folder holds a test score.
    chosen = getattr(record.status, "chosen", None) if record.status else None

    def score(split: str, key: str) -> float | None:
        scores = m.split(split) if m else None
        return getattr(scores, key) if scores else None

    val = m.split("val") if m else None
    return RunSummary(
        record.path, name or record.name, "pruned" if pruned and state == "complete" else state,
        model_label(record.config.model), record.config.dataset_name,
        m.parameters if m else None, m.epochs_run if m else record.history.epochs, m.best_epoch if m else None,
        score("train", "accuracy"), score("val", "accuracy"), score("test", "accuracy"),
        score("train", "macro_f1"), score("val", "macro_f1"), score("test", "macro_f1"),
        m.time_per_epoch_s if m else None, m.wall_time_s if m else None,
        interval_half_width(val.accuracy, val.n) if val else None,
        is_regular(record.path / CHECKPOINT) and state != "complete", tuple(record.problems),
        pruned or (chosen if isinstance(chosen, str) else None))


def model_label(model: Mapping[str, Any]) -> str:
    """``first``, ``dropout (rate=0.5)``, ``layers: flatten, dense 64, dense 10``, ``factory pkg:fn``."""
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
