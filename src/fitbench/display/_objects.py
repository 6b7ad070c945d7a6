"""HTML for a Dataset and a SavedRun."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from fitbench import plots
from fitbench._words import plural
from fitbench.diagnosis import diagnose
from fitbench.display._render import picture, render
from fitbench.errors import FitbenchError

if TYPE_CHECKING:
    from fitbench.data import Dataset
    from fitbench.diagnosis import Finding
    from fitbench.runs import Metrics, SavedRun

SPLITS = ("train", "val", "test")


def dataset_html(data: Dataset) -> str:
    """Split sizes, shapes, value and label ranges, the classes, and the first 25 training images."""
    rows = []
    for split in SPLITS:
        x, y = data.split(split)
        if len(y):
            rows.append([split, len(y), str(tuple(x.shape[1:])), f"{x.min():g} .. {x.max():g}", f"{y.min()} .. {y.max()}"])
    grid = picture(lambda: plots.plot_image_grid(
        plots.sample_grid(data.x_train, data.y_train, class_names=data.class_names)))
    return render("dataset.html.j2", name=data.name, source=data.source, rows=rows, classes=data.num_classes,
                  class_names=data.class_names[:data.num_classes], grid=grid)


def run_html(run: SavedRun) -> str:
    """State, scores per split, the curves and the diagnosis, all from the run folder."""
    scores = [[split, s.n, s.accuracy, s.macro_f1, s.loss] for split, s in run.metrics.splits.items()]
    problems = list(run.problems)
    try:
        findings: Sequence[Finding] = diagnose(run)
    except FitbenchError as error:
        findings, problems = [], [*problems, f"no diagnosis: {error}"]
    shown = bool(getattr(run, "curves_shown", False))  # a fitbench.Run whose curves a notebook drew as it trained
    curves = None if shown else picture(
        lambda: plots.plot_history(plots.history_curves(run.history, run.metrics, run.config)))
    return render("run.html.j2", name=run.name, path=str(run.path), state=run.state, facts=_facts(run.metrics),
                  problems=problems, scores=scores, curves=curves, curves_shown=shown, findings=findings)


def _facts(metrics: Metrics) -> str:
    if not metrics.epochs_run:
        return ""
    facts = [plural(metrics.epochs_run, "epoch"), f"best epoch {metrics.best_epoch}"]
    if metrics.parameters is not None:
        facts.append(f"{metrics.parameters:,} parameters")
    if metrics.wall_time_s is not None:
        facts.append(f"{metrics.wall_time_s:.1f} s")
    if metrics.stopped_early:
        facts.append("stopped early")
    return ", ".join(facts)
