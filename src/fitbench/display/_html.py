"""``html(obj)``: the HTML a notebook shows for a fitbench object, found by its class's name in
``fitbench._display_names`` (the table ``fitbench._notebook`` registers with IPython)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fitbench._display_names import DISPLAYS
from fitbench.display._crossval import crossval_html
from fitbench.display._evaluation import evaluation_html
from fitbench.display._findings import findings_html
from fitbench.display._objects import dataset_html, run_html
from fitbench.display._results import comparison_html
from fitbench.display._study import study_html

DRAW: dict[str, Callable[[Any], str]] = {draw.__name__: draw for draw in (
    dataset_html, run_html, evaluation_html, findings_html, comparison_html, crossval_html, study_html)}


def html(obj: Any) -> str:
    """The HTML of a Dataset, a Run (or SavedRun), an Evaluation, a diagnosis, a Comparison, a
    CrossValidation or an Optuna study; a TypeError for anything else."""
    for cls in type(obj).__mro__:
        name = DISPLAYS.get((cls.__module__, cls.__qualname__))
        if name is not None:
            return DRAW[name](obj)
    shown = ", ".join(name for _, name in DISPLAYS)
    raise TypeError(f"fitbench.display.html: no display for {type(obj).__name__} objects; it shows {shown}")
