"""Training curves: loss and accuracy per epoch, train against validation, best epoch and
early-stopping point marked. Built from the saved history and metrics, never a live model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from fitbench.errors import FitbenchError
from fitbench.runs._record import Metrics
from fitbench.plots._figure import Margins, integer_ticks, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Tick labels such as "0.975" and an axis label on the left and below, a title above.
CURVE_MARGINS = Margins(left=0.75, bottom=0.5, right=0.15, top=0.35)


class HistoryCurves(NamedTuple):
    """Per-epoch curves (epochs are 1-based) and the events worth marking on them."""

    epochs: list[int]
    series: dict[str, list[float]]  # Keras log keys: loss, val_loss, accuracy, val_accuracy...
    best_epoch: int | None  # the epoch whose weights the model kept (or the lowest val_loss)
    monitor: str | None
    stopped_epoch: int | None  # last epoch, when early stopping ended the run
    restored: bool  # early stopping went back to the best epoch's weights at the end
    interrupted: str | None  # the signal that ended the run, if any


def history_curves(history: Mapping[str, Sequence[float]], metrics: Metrics | None = None,
                   config: Mapping[str, Any] | None = None) -> HistoryCurves:
    """The curves of a run from its ``history``, ``metrics.json`` (typed) and ``config.yaml`` (a dict)."""
    series = {key: [float(v) for v in values] for key, values in history.items()}
    length = max((len(values) for values in series.values()), default=0)
    metrics = metrics or Metrics.model_validate({})
    monitor = metrics.monitor or ("val_loss" if "val_loss" in series else "loss" if "loss" in series else None)
    best = metrics.best_epoch or _lowest_epoch(series.get(monitor or "", []))
    stopping = ((config or {}).get("training") or {}).get("early_stopping") or {}
    stopped = length if metrics.stopped_early else None
    # Keras restores the best weights at the end of training whether or not it stopped early.
    restored = bool(stopping.get("restore_best_weights"))
    return HistoryCurves(list(range(1, length + 1)), series, best, monitor, stopped, restored, metrics.interrupted)


def _lowest_epoch(values: Sequence[float]) -> int | None:
    finite = [v if np.isfinite(v) else np.inf for v in values]
    return int(np.argmin(finite)) + 1 if finite else None


def plot_history(curves: HistoryCurves, ax: Axes | Sequence[Axes] | None = None, *,
                 panels: Sequence[str] = ("loss", "accuracy")) -> Figure:
    """One panel per quantity in ``panels`` (train solid, validation dashed); returns the Figure.

    ``ax``: None (a new figure), or one Axes per panel (a single Axes for a single panel).
    """
    panels = [name for name in panels if name in curves.series or f"val_{name}" in curves.series]
    if not panels:
        raise FitbenchError("this run has no recorded epochs to plot (history.csv is empty or missing)")
    axes = _panel_axes(ax, len(panels))
    for axis, name in zip(axes, panels):
        _draw_panel(axis, curves, name)
    # Axes.figure may be a SubFigure; its .figure is the root Figure (a Figure's is itself).
    return axes[0].figure.figure


def _panel_axes(ax: Axes | Sequence[Axes] | None, count: int) -> list[Axes]:
    if ax is None:
        figure = new_figure((5.2 * count, 3.6), CURVE_MARGINS)
        return list(np.atleast_1d(figure.subplots(1, count, gridspec_kw={"wspace": 0.25})))
    axes = [ax] if not isinstance(ax, Sequence) and not isinstance(ax, np.ndarray) else list(ax)
    if len(axes) != count:
        raise FitbenchError(f"plot_history: got {len(axes)} Axes for {count} panels; pass one Axes per panel")
    return axes


def _draw_panel(ax: Axes, curves: HistoryCurves, name: str) -> None:
    for key, style, label in ((name, "-", "train"), (f"val_{name}", "--", "validation")):
        if key in curves.series:
            values = curves.series[key]
            ax.plot(curves.epochs[:len(values)], values, style, marker="o", markersize=3, label=label)
    if curves.best_epoch is not None:
        kept = " (weights restored)" if curves.restored else ""
        ax.axvline(curves.best_epoch, color="#27ae60", linestyle=":", label=f"best epoch {curves.best_epoch}{kept}")
    if curves.stopped_epoch is not None:
        ax.axvline(curves.stopped_epoch, color="#c0392b", linestyle="-.", label=f"early stop at {curves.stopped_epoch}")
    if curves.interrupted:
        ax.axvline(len(curves.epochs), color="#7f8c8d", label=f"interrupted ({curves.interrupted})")
    ax.set_xlabel("epoch")
    ax.set_ylabel(name)
    ax.set_title(name.replace("_", " "))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    integer_ticks(ax)
