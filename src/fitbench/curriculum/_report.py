"""The curriculum's report: one self-contained HTML file built from ``curriculum.json`` and
the run folders it names (nothing from a live session)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

from fitbench import plots
from fitbench.audit import PAGE
from fitbench.curriculum._lessons import lesson
from fitbench.curriculum._numbers import StepNumbers, step_numbers
from fitbench.curriculum._plan import STEPS
from fitbench.errors import FitbenchError
from fitbench.runs import SavedRun, load_saved_run

REPORT = "report.html"
SUMMARY = "curriculum.json"
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
                  comparison=_table(views, summary["steps"]), chart=_chart(views), audit=audit_link(out, summary))
    return write_html(out / REPORT, html)


def audit_link(out: Path, summary: dict[str, Any]) -> dict[str, str] | None:
    """The audit of the data set, as the cross-validation step wrote it: a link relative to the
    report, and its summary line. None when that step did not run or its page is gone."""
    for record in summary["steps"]:
        step = _STEPS.get(record.get("id"))
        audit = record.get("audit")
        if step is None or step.kind != "cv" or not isinstance(audit, dict):
            continue
        href = f"{step.id}/{PAGE}"  # made here, never read from the file
        if (out / href).is_file():
            top = audit.get("top")
            return {"href": href, "summary": str(audit.get("summary", "")),
                    "top": f"; most doubtful: {top}" if top else ""}
    return None


def _read_summary(out: Path) -> dict[str, Any]:
    try:
        return json.loads((out / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise FitbenchError(f"{out / SUMMARY}: cannot read the curriculum's results ({error}); run "
                            "fitbench curriculum first") from None


def _views(summary: dict[str, Any]) -> list[StepView]:
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


def load_step_runs(record: dict[str, Any]) -> list[SavedRun]:
    """The runs a summary record names, skipping folders that are gone."""
    runs = []
    for path in record.get("runs", []):
        try:
            runs.append(load_saved_run(path))
        except Exception:  # a deleted or damaged folder: the report says what it has
            continue
    return runs


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


COLUMNS = ["experiment", "parameters", "epochs run", "best epoch", "train acc.", "val acc.", "+/- sd",
           "val macro F1", "test acc.", "gap", "s/epoch", "total s"]


def _table(views: list[StepView], records: list[dict[str, Any]]) -> dict[str, Any]:
    """Every experiment in one table: trained steps, cross-validation and tuning."""
    rows = []
    for view, record in zip(views, records):
        if view.numbers is not None:
            rows.append(_train_row(view.id, view.numbers))
        elif record.get("crossval"):
            rows.append(_cv_row(view.id, record["crossval"]))
        elif (record.get("tuning") or {}).get("best_value") is not None:
            rows.append(_tuning_row(view.id, record["tuning"]))
    return {"columns": COLUMNS, "rows": rows}


def _train_row(name: str, n: StepNumbers) -> list[Any]:
    spread = f"± {n.val_sd:.4f} over {n.seeds} seeds" if n.seeds > 1 else "1 seed"
    best = None if n.best_epoch is None else _epochs(n.best_epoch)
    return [name, n.parameters, _epochs(n.epochs_run), best, n.train, n.val, spread, n.val_f1, n.test, n.gap,
            f"{n.seconds_per_epoch:.2f}", f"{n.seconds:.1f}"]


def _cv_row(name: str, cv: dict[str, Any]) -> list[Any]:
    spread = f"± {cv['sd']:.4f} over {cv['folds']} folds"
    return [name, None, None, None, None, cv["mean"], spread, None, cv["vote_accuracy"], None, None, None]


def _tuning_row(name: str, tuning: dict[str, Any]) -> list[Any]:
    test = (tuning.get("test") or {}).get("accuracy")
    return [name, None, None, None, None, None, f"best of {tuning['trials']} trials", tuning["best_value"], test,
            None, None, None]


def _epochs(value: float) -> str:
    """Epochs over seeds: ``7``, or ``7.5`` when the seeds disagree."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


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
    labels = [ax.annotate(point.label.split("-", 1)[-1], (point.parameters, point.val), fontsize=7, xytext=offset,
                          textcoords="offset points", arrowprops={"arrowstyle": "-", "lw": 0.5})
              for point, offset in zip(points, label_offsets(points))]
    ax.set_xscale("log")
    ax.set_xlabel("trainable parameters")
    ax.set_ylabel("validation accuracy")
    ax.set_title("Validation accuracy against model size:\nprefer the smaller model when scores are close", fontsize=10)
    ax.grid(alpha=0.3)
    ax.margins(x=0.15, y=0.2)  # room for the labels inside the axes
    spread_labels(ax, labels)
    return ax


# Where a label may go, in points from its dot, tried in order until it overlaps nothing: beside
# it on the right, then on the left, a line (9 points) further up or down at each try.
_PLACES = [(x, 3.0 + 9.0 * step * sign) for x in (6.0, -70.0, 40.0) for step in range(12) for sign in (1, -1)]


def spread_labels(ax: Any, labels: list[Any]) -> None:
    """Move each label to the first of ``_PLACES`` where it overlaps no label placed before it
    and stays inside the axes (so never over the title): close scores of close sizes had their
    names printed over each other."""
    ax.figure.canvas.draw()  # limits and layout are settled at a draw: boxes measured before would move
    renderer = ax.figure.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    placed: list[Any] = []  # the boxes of the labels placed so far
    for label in labels:
        for place in [label.xyann, *_PLACES]:
            label.xyann = place
            box = text_box(label, renderer)
            if box.x0 >= inside.x0 and box.x1 <= inside.x1 and box.y0 >= inside.y0 and box.y1 <= inside.y1 and \
                    not any(box.overlaps(other) for other in placed):
                break
        placed.append(text_box(label, renderer))


def text_box(label: Any, renderer: Any) -> Any:
    """The box of a label's text alone (an annotation's own box also spans the line to its dot)."""
    from matplotlib.text import Text

    return Text.get_window_extent(label, renderer)


def label_offsets(points: list[Point]) -> list[tuple[float, float]]:
    """Where each label goes (points from its dot): experiments of one model size share an x, so
    their labels are stacked one line apart instead of printed over each other."""
    offsets: list[tuple[float, float]] = []
    seen: dict[int, int] = {}
    for point in points:
        rank = seen[point.parameters] = seen.get(point.parameters, -1) + 1
        offsets.append((6.0, 3.0 + 9.0 * rank))
    return offsets


def _chart(views: list[StepView]) -> str | None:
    from fitbench.report._html import data_uri

    points = score_by_parameters(views)
    if not points:
        return None
    return data_uri(plots.png_bytes(plot_score_by_parameters(points).figure))
