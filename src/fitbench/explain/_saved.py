"""``save_explanations``: attribution maps of the images a run's report shows (its saved
mistakes and top losses), computed once and written into the run folder's
``explanations.npz``, so the report and the web page draw them from the folder alone."""

from __future__ import annotations

import os

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fitbench.errors import FitbenchError
from fitbench.explain._attribution import STEPS
from fitbench.explain._explain import Method, attribute, sanity_checks
from fitbench.prediction import compile_cache
from fitbench.runs import DamagedFile, ExplanationSet
from fitbench.runs._preparation import from_config
from fitbench.runs._record import EXPLANATIONS, IMAGES, METHODS, PREDICTIONS
from fitbench.runs._write import write_explanations

if TYPE_CHECKING:
    from fitbench.data import Dataset
    from fitbench.runs import SavedRun

__all__ = ["EXPLAINED_SPLITS", "save_explanations"]

EXPLAINED_SPLITS = ("val", "test")  # the splits whose predictions a run folder keeps


def save_explanations(run: SavedRun, model: Any, data: Dataset, *, method: Method = "auto", steps: int = STEPS,
                      seed: int = 0) -> Path:
    """Explain the class ``run`` predicted for each image its ``images.npz`` keeps of the
    validation and test splits, check each map, and write ``explanations.npz``; its path.

    ``model`` and ``data``: the run's (``fitbench.Run`` loads them). One-line FitbenchError when
    the folder keeps no such images or the data no longer match them.
    """
    target = run.path / EXPLANATIONS
    if os.path.lexists(target) and (target.is_symlink() or not target.is_file()):  # before seconds of work
        raise FitbenchError(f"{target}: not a plain file (a folder or a link); remove it, then explain again")
    size = from_config(run.config, tuple(model.input_shape[1:])).size
    sets = {}
    with compile_cache():
        for split in EXPLAINED_SPLITS:
            inputs = _inputs(run, data, split)
            if inputs is not None:
                sets[split] = _explained(model, *inputs, size=size, method=method, steps=steps, seed=seed)
    if not sets:
        raise FitbenchError(f"{run.path}: no mistakes or top losses saved to explain (images.npz keeps none); "
                            "train the run again with this fitbench version")
    try:
        write_explanations(run.path, sets)
    except OSError as error:  # a read-only folder, a full disk: the atomic write left nothing behind
        raise FitbenchError(f"{target}: cannot write it ({error.strerror or error}); nothing saved") from None
    return target


def _inputs(run: SavedRun, data: Dataset, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The model's inputs for ``split``'s saved images, their positions and the classes predicted
    for them when the run finished; None when the folder keeps none for ``split``."""
    try:
        if split not in run.record.kept(IMAGES) & run.record.kept(PREDICTIONS):
            return None
        shown, saved = run.record.images(split), run.record.predictions(split)
    except DamagedFile as error:
        raise FitbenchError(f"{run.path}: {error}; nothing explained") from None
    if not len(shown.indices):
        return None
    x, y = data.split(split)
    where = {int(index): k for k, index in enumerate(saved.indices)}
    if int(shown.indices.max()) >= len(y) or np.any(y[shown.indices] != shown.labels) or any(
            int(index) not in where for index in shown.indices):
        raise FitbenchError(f"{run.path}: the {split} split of the data set no longer matches the images the run "
                            "saved (changed since training?); nothing explained")
    predicted = saved.predicted[[where[int(index)] for index in shown.indices]]
    return x[shown.indices], shown.indices, predicted


def _explained(model: Any, x: np.ndarray, indices: np.ndarray, targets: np.ndarray, *, size: tuple[int, int],
               method: Method, steps: int, seed: int) -> ExplanationSet:
    used, maps = attribute(model, x, targets, size, method, steps)
    checks = sanity_checks(model, x, maps, targets, size=size, method=used, steps=steps, seed=seed)
    return ExplanationSet(targets, maps, indices, np.clip(checks.spearman, -1.0, 1.0), checks.top_drop, checks.random_drop,
                          np.full(len(x), METHODS.index(used)))
