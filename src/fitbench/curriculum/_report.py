"""The curriculum's report: one self-contained HTML file built from ``curriculum.json`` and
the run folders it names (nothing from a live session)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

from fitbench import plots
from fitbench.curriculum._lessons import lesson
from fitbench.curriculum._numbers import StepNumbers, step_numbers
from fitbench.curriculum._plan import STEPS
from fitbench.errors import FitbenchError

REPORT = "report.html"
_STEPS = {step.id: step for step in STEPS}


class StepView(NamedTuple):
    id: str
    title: str
    change: str
    differs: list[str]
    lesson: str
    numbers: StepNumbers | None
    findings: list[Any]
    history: str | None  # data URI of the first seed's curves
    runs: list[str]


class Point(NamedTuple):
    """One experiment on the validation-score-against-size chart."""

    label: str
    parameters: int
    val: float
    val_sd: float


def write_curriculum_report(out: str | Path) -> Path:
    """``<out>/report.html`` from ``<out>/curriculum.json`` and the run folders."""
    from fitbench.report._html import render, write_html

    out = Path(out)
    summary = _read_summary(out)
    views = _views(summary)
    html = render("curriculum.html.j2", title="fitbench curriculum", summary=summary, steps=views,
                  comparison=_table(views), chart=_chart(views))
    return write_html(out / REPORT, html)


def _read_summary(out: Path) -> dict[str, Any]:
    from fitbench.curriculum._run import SUMMARY

    try:
        return json.loads((out / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise FitbenchError(f"{out / SUMMARY}: cannot read the curriculum's results ({error}); run "
                            "fitbench curriculum first") from None


def _views(summary: dict[str, Any]) -> list[StepView]:
    from fitbench.curriculum._run import load_step_runs

    loaded = {record["id"]: load_step_runs(record) for record in summary["steps"]}
    numbers = {key: value for key, runs in loaded.items() if (value := step_numbers(runs)) is not None}
    views, previous = [], None
    for record in summary["steps"]:
        runs = loaded[record["id"]]
        findings = _findings(runs[0]) if runs and record["kind"] == "train" else []
        step = _STEPS[record["id"]]
        views.append(StepView(step.id, step.title, step.change, _differs(previous, runs), lesson(
            step.id, numbers, findings, record), numbers.get(step.id) if record["kind"] == "train" else None,
            findings, _history(runs[0]) if runs else None, [str(run.path) for run in runs]))
        previous = runs[0] if runs else previous
    return views


def _findings(run: Any) -> list[Any]:
    from fitbench.diagnosis import diagnose

    return diagnose(run)


def _history(run: Any) -> str | None:
    from fitbench.report._html import data_uri

    if not run.history:
        return None
    figure = plots.plot_history(plots.history_curves(run.history, run.metrics, run.config))
    return data_uri(plots.png_bytes(figure))


def _differs(previous: Any, runs: list[Any]) -> list[str]:
    """The config keys that changed from the previous experiment ("change one thing at a time")."""
    if previous is None or not runs:
        return []
    before, after = _flat(previous.config), _flat(runs[0].config)
    keys = [key for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key) and key != "name"]
    return [f"{key}: {before.get(key)!r} -> {after.get(key)!r}" for key in keys]


def _flat(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat |= _flat(value, f"{prefix}{key}.")
        elif value is not None:
            flat[f"{prefix}{key}"] = value
    return flat


def _table(views: list[StepView]) -> dict[str, Any]:
    columns = ["experiment", "parameters", "epochs run", "best epoch", "train acc.", "val acc.", "+/- sd",
               "val macro F1", "test acc.", "gap", "s/epoch", "total s"]
    rows = []
    for view in views:
        n = view.numbers
        if n is None:
            continue
        rows.append([view.id, n.parameters, round(n.epochs_run, 1), n.best_epoch, n.train, n.val, n.val_sd,
                     n.val_f1, n.test, n.gap, round(n.seconds_per_epoch, 2), round(n.seconds, 1)])
    return {"columns": columns, "rows": rows}


def score_by_parameters(views: list[StepView]) -> list[Point]:
    """The numbers of the chart: each trained experiment's size and validation accuracy."""
    return [Point(view.id, view.numbers.parameters, view.numbers.val, view.numbers.val_sd)
            for view in views if view.numbers is not None]


def plot_score_by_parameters(points: list[Point], ax: Any = None) -> Any:
    """Validation accuracy against parameter count (log scale), one labelled dot each."""
    from fitbench.plots._figure import new_axes

    ax = new_axes(ax, (8, 4.5))
    ax.errorbar([p.parameters for p in points], [p.val for p in points], yerr=[p.val_sd for p in points],
                fmt="o", capsize=3)
    for point in points:
        ax.annotate(point.label.split("-", 1)[-1], (point.parameters, point.val), fontsize=7,
                    xytext=(4, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("trainable parameters")
    ax.set_ylabel("validation accuracy")
    ax.set_title("Validation accuracy against model size: prefer the smaller model when scores are close")
    ax.grid(alpha=0.3)
    return ax


def _chart(views: list[StepView]) -> str | None:
    from fitbench.report._html import data_uri

    points = score_by_parameters(views)
    if not points:
        return None
    return data_uri(plots.png_bytes(plot_score_by_parameters(points).figure))
