"""What reports read from a run: recorded scores, class names, a model's one-line description."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fitbench._confusion import ConfusionMatrix, confusion_matrix
from fitbench.data import _registry
from fitbench.errors import FitbenchError
from fitbench.runs._summary import model_label as summary_label

if TYPE_CHECKING:
    from fitbench.runs import SavedRun


def class_names(config: Mapping[str, Any], classes: int) -> list[str]:
    """The class names of the run's data set: recorded in its config (an image folder's), else
    the dataset registry's (without loading it)."""
    return list(_registry.recorded_class_names(config.get("dataset") or {}, classes))


def recorded_confusion(run: SavedRun, split: str) -> ConfusionMatrix:
    """The confusion matrix of ``split`` saved in metrics.json (no model or data needed)."""
    recorded = run.recorded(split)
    if recorded is None:
        have = ", ".join(run.metrics.splits) or "none"
        raise FitbenchError(f"{run.path}: no {split} scores recorded in metrics.json (recorded splits: {have})")
    return confusion_matrix(recorded.confusion_matrix, class_names(run.config, recorded.classes), split)


def model_label(config: Mapping[str, Any]) -> str:
    """``first``, ``dropout (rate=0.5)``, ``layers: flatten, dense 64, dense 10``, ``factory pkg:fn``."""
    return summary_label(config.get("model") or {})


def split_for_analysis(run: SavedRun, split: str | None) -> str:
    """The split to study mistakes on: as asked, else validation (test is for the final score)."""
    recorded = run.metrics.splits
    if split is not None:
        return split
    return "val" if "val" in recorded else "test" if "test" in recorded else "train"
