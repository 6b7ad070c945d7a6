"""What training leaves for the views, computed once from the trained model and its data:
scores, predictions, the images the pictures show, and the architecture."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from fitbench import plots
from fitbench.data import Dataset
from fitbench.diagnosis import copies_across_splits
from fitbench.errors import DataError
from fitbench.evaluation import score_predictions
from fitbench.models import architecture, model_summary, predict
from fitbench.runs import _record as r
from fitbench.runs import _write
from fitbench.runs._record import SPLITS

_SAVED_PREDICTIONS = ("val", "test")  # train predictions are not shown, so not kept
Persist = Callable[[Callable[[], None]], None]  # runs a run folder's last writes: now, or in a writer thread


def now(write: Callable[[], None]) -> None:
    write()


def save_results(folder: Path, model: Any, dataset: Dataset, metrics: dict[str, Any], *,
                 persist: Persist = now) -> r.Metrics:
    """Score every split, and write metrics, predictions, images and architecture; return the metrics.

    ``metrics`` holds the training facts (epochs, best epoch, times...); the scores are added here.
    ``metrics.json`` is written at once; the rest (read only by the views) goes through ``persist``.
    """
    labels = {split: dataset.split(split)[1] for split in SPLITS}
    probabilities = {split: predict(model, dataset.split(split)[0]) for split in SPLITS if len(labels[split])}
    scores = {split: _write.split_scores(score_predictions(split, labels[split], p).to_dict())
              for split, p in probabilities.items()}
    record = r.Metrics.model_validate({"format": r.FORMAT, **metrics, "splits": scores})
    predictions = {str(split): r.SplitPredictions(labels[split], p, np.arange(len(p)))
                   for split, p in probabilities.items() if split in _SAVED_PREDICTIONS}
    _write.write_metrics(folder, record)

    def views() -> None:
        _write.write_predictions(folder, predictions)
        _write.write_images(folder, _shown_images(dataset, predictions))
        _write.write_architecture(folder, architecture_record(model))

    persist(views)
    return record


def _shown_images(dataset: Dataset, predictions: dict[str, r.SplitPredictions]) -> dict[str, r.ImageSet]:
    """The first training images, and each saved split's mistakes and top losses, as uint8."""
    x_train, y_train = dataset.split("train")
    try:
        plots.as_images(x_train[:1])
    except DataError:  # inputs that are not images (e.g. feature vectors): nothing to show
        return {}
    low, high = float(np.min(x_train)), float(np.max(x_train))
    first = np.arange(min(plots.GRID_IMAGES, len(y_train)))
    chosen = {"train": first} | {split: plots.shown_indices(p.labels, p.probabilities)
                                 for split, p in predictions.items()}
    shown = {split: r.ImageSet(_write.as_uint8(plots.as_images(dataset.split(split)[0][indices]), low, high),
                               dataset.split(split)[1][indices], indices)
             for split, indices in chosen.items()}
    return shown | _leak_images(dataset, low, high)


def _leak_images(dataset: Dataset, low: float, high: float) -> dict[str, r.ImageSet]:
    """``leaks``: the first copies across splits as (original, copy) image pairs, in the order
    of the leakage finding's pairs, so the report shows them side by side."""
    places = [place for leak in copies_across_splits(dataset)[:plots.LEAK_PAIRS]
              for place in ((leak.split, leak.index), (leak.other_split, leak.other_index))]
    if not places:
        return {}
    x = np.stack([dataset.split(split)[0][index] for split, index in places])
    labels = np.array([dataset.split(split)[1][index] for split, index in places])
    indices = np.array([index for _, index in places])
    return {"leaks": r.ImageSet(_write.as_uint8(plots.as_images(x), low, high), labels, indices)}


def architecture_record(model: Any) -> r.Architecture:
    arch = architecture(model)
    return r.Architecture(
        name=arch.name, kind=arch.kind, nodes=[r.Layer(**node._asdict()) for node in arch.nodes],
        trainable_params=arch.trainable_params, non_trainable_params=arch.non_trainable_params,
        optimizer_params=arch.optimizer_params, traced=arch.traced, summary=model_summary(model))
