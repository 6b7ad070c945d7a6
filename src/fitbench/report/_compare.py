"""``compare(runs)``: several runs side by side, best validation score first, with what differs
between their configs ("change one thing at a time") and their curves overlaid."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fitbench._display_names import ShownAsHtml
from fitbench import plots
from fitbench.errors import FitbenchError
from fitbench.plots._figure import new_figure
from fitbench.plots._history import CURVE_MARGINS
from fitbench.runs._read import DamagedFile
from fitbench.runs._summary import RunSummary, summarize
from fitbench.report._figures import Picture
from fitbench.report._html import data_uri, render, write_html
from fitbench.report._report import Section, Table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from fitbench.runs import SavedRun

COLUMNS = ("name", "model", "parameters", "epochs_run", "best_epoch", "train_accuracy", "val_accuracy",
           "test_accuracy", "train_macro_f1", "val_macro_f1", "test_macro_f1", "time_per_epoch_s", "wall_time_s")
_HEADINGS = ("run", "model", "params", "epochs", "best", "train acc", "val acc", "test acc",
             "train F1", "val F1", "test F1", "s/epoch", "total s")
Row = RunSummary  # one run's line of the table (the name 0.1.0 used)


class Comparison(ShownAsHtml):
    """Runs sorted by validation score (accuracy, then macro F1; fewer parameters first on ties)."""

    def __init__(self, runs: Sequence[SavedRun]) -> None:
        labelled = list(zip(_labels(runs), runs))
        rows = [summarize(run.record, name=label) for label, run in labelled]
        order = sorted(range(len(rows)), key=lambda k: _sort_key(rows[k]))
        self.rows: list[RunSummary] = [rows[k] for k in order]
        self.runs: list[SavedRun] = [labelled[k][1] for k in order]

    def table(self) -> list[dict[str, Any]]:
        """Plain rows (one dict per run, keys as in ``COLUMNS``), best first."""
        return [{key: str(row.path) if key == "path" else getattr(row, key)
                 for key in (*COLUMNS, "val_half_width", "path")} for row in self.rows]

    def differences(self) -> dict[str, list[Any]]:
        """Config keys (dotted) whose values differ between the runs, with each run's value;
        models built in Python are compared by their saved layers."""
        flat = [_flatten({k: v for k, v in run.config.items() if k != "name"}) | _layers(run) for run in self.runs]
        keys = list(dict.fromkeys(key for config in flat for key in config))
        # An empty value ({} or []) and a missing one mean the same: a default left out.
        values = {key: [config.get(key) if config.get(key) not in ({}, []) else None for config in flat]
                  for key in keys}
        return {key: found for key, found in values.items() if len({repr(value) for value in found}) > 1}

    def close_to_best(self) -> list[RunSummary]:
        """Rows whose validation accuracy lies inside the best run's 95% interval: ties, really."""
        best = self.rows[0] if self.rows else None
        if best is None or best.val_accuracy is None or best.val_half_width is None:
            return []
        return [row for row in self.rows if row.val_accuracy is not None
                and row.val_accuracy >= best.val_accuracy - best.val_half_width]

    def verdicts(self) -> list[str]:
        """The course's lessons, with this comparison's numbers."""
        close = self.close_to_best()
        if len(close) < 2:
            return []
        smallest = min(close, key=lambda row: row.parameters if row.parameters is not None else float("inf"))
        names = ", ".join(row.name for row in close)
        size = f" ({smallest.parameters:,} parameters)" if smallest.parameters is not None else ""
        return [f"{names}: validation accuracies within {100 * (close[0].val_half_width or 0):.1f} points of the "
                f"best (its 95% interval), so they are tied; prefer the smallest: {smallest.name}{size}"]

    def text(self) -> str:
        """The table as aligned text, for a terminal."""
        cells = [list(_HEADINGS)] + [[_cell(value) for value in _display_cells(row)] for row in self.rows]
        widths = [max(len(line[k]) for line in cells) for k in range(len(COLUMNS))]
        lines = ["  ".join(c.ljust(w) if k < 2 else c.rjust(w) for k, (c, w) in enumerate(zip(line, widths)))
                 for line in cells]
        return "\n".join([*lines, *self.verdicts()])

    def plot_curves(self) -> Figure:
        """Validation loss and accuracy of every run on shared axes (training dashed)."""
        figure = new_figure((11, 4), CURVE_MARGINS)
        axes = figure.subplots(1, 2, gridspec_kw={"wspace": 0.25})
        for row, run in zip(self.rows, self.runs):
            for ax, name in zip(axes, ("loss", "accuracy")):
                _overlay(ax, row.name, run.history, name)
        for ax, name in zip(axes, ("loss", "accuracy")):
            ax.set_xlabel("epoch")
            plots.integer_ticks(ax)
            ax.set_title(f"{name}: validation solid, training dashed")
            ax.grid(alpha=0.3)
            if ax.lines:
                ax.legend(fontsize=7)
        return figure

    def to_html(self, path: str | Path) -> Path:
        """Write the comparison as one self-contained HTML file."""
        close = self.close_to_best()
        html = render("compare.html.j2", title="fitbench comparison", runs=self.rows, columns=_HEADINGS,
                      rows=[{"cells": _display_cells(row), "close": row in close} for row in self.rows],
                      verdicts=self.verdicts(), differences=self._difference_table(), sections=self._sections(),
                      generated=dt.datetime.now().astimezone().isoformat(timespec="seconds"))
        return write_html(Path(path), html)

    def _difference_table(self) -> Table | None:
        found = self.differences()
        if not found:
            return None
        return Table(["config key", *[row.name for row in self.rows]],
                     [[key, *[_short(value) for value in values]] for key, values in found.items()])

    def _sections(self) -> list[Section]:
        sections = [Section("curves", "Curves", pictures=[Picture("all runs overlaid", data_uri(
            plots.png_bytes(self.plot_curves())))])]
        pictures = []
        for dataset, (model, points) in self.size_series().items():
            ax = plots.plot_score_by_train_size(points)
            ax.set_title(f"{dataset}: {ax.get_title()}")
            pictures.append(Picture(f"{dataset}: runs of {model} on training sets of different sizes",
                                    data_uri(plots.png_bytes(ax.figure.figure))))
        if pictures:
            sections.append(Section("sizes", "Score against training-set size", pictures=pictures))
        return sections

    def size_series(self) -> dict[str, tuple[str, list[plots.SizePoint]]]:
        """Per data set, the model trained on the most different training-set sizes, and its
        points: runs on different data sets never make one learning curve. Data sets without
        two sizes of one model are left out."""
        series: dict[str, tuple[str, list[plots.SizePoint]]] = {}
        for dataset in dict.fromkeys(row.dataset for row in self.rows):
            pairs = [(row, run) for row, run in zip(self.rows, self.runs) if row.dataset == dataset]
            for model in dict.fromkeys(row.model for row, _ in pairs):
                points = plots.score_by_train_size([(row.name, run.metrics) for row, run in pairs if row.model == model])
                known = series[dataset][1] if dataset in series else []
                if len({p.train_size for p in points}) > max(1, len({p.train_size for p in known})):
                    series[dataset] = (model, points)
        return series


def compare(runs: Iterable[SavedRun | str | Path]) -> Comparison:
    """Compare runs (``Run`` or ``SavedRun`` objects, or run folders)."""
    from fitbench.runs import load_saved_run

    loaded = [load_saved_run(run) for run in runs]
    if not loaded:
        raise FitbenchError("compare: got no runs; give one or more run folders")
    return Comparison(loaded)


def _labels(runs: Sequence[SavedRun]) -> list[str]:
    # Run names repeat when one experiment is run twice: say which folder each one is.
    counts: dict[str, int] = {}
    for run in runs:
        counts[run.name] = counts.get(run.name, 0) + 1
    return [run.name if counts[run.name] == 1 else f"{run.name} ({run.path.parent.name}/{run.path.name})"
            for run in runs]


def _layers(run: SavedRun) -> dict[str, Any]:
    """``model.layers`` of a model built in Python, from its saved architecture (else nothing)."""
    if not (run.config.get("model") or {}).get("python"):  # older folders write `python: null` for the others
        return {}
    try:
        nodes = run.record.architecture.nodes
    except DamagedFile:  # a 0.1.0 folder: only the model's name is known
        return {}
    return {"model.layers": ", ".join(f"{node.kind} {node.output_shape}" for node in nodes)}


def _sort_key(row: RunSummary) -> tuple[Any, ...]:
    missing = row.val_accuracy is None
    return (missing, -(row.val_accuracy or 0.0), -(row.val_macro_f1 or 0.0),
            row.parameters if row.parameters is not None else float("inf"))


def _flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def _overlay(ax: Any, label: str, history: Mapping[str, Sequence[float]], name: str) -> None:
    val, train = history.get(f"val_{name}"), history.get(name)
    line = None
    if val:
        (line,) = ax.plot(range(1, len(val) + 1), val, "-", marker="o", markersize=2, label=label)
    if train:
        ax.plot(range(1, len(train) + 1), train, "--", linewidth=1,
                color=line.get_color() if line else None, label=None if line else label)


def _display_cells(row: RunSummary) -> list[Any]:
    # Seconds read better rounded; scores keep four decimals.
    seconds = {"time_per_epoch_s": "{:.2f}", "wall_time_s": "{:.1f}"}
    return [seconds[key].format(getattr(row, key)) if key in seconds and getattr(row, key) is not None
            else getattr(row, key) for key in COLUMNS]


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _short(value: Any) -> str:
    text = "—" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
