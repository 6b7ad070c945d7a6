"""Score against training-set size, from runs on growing subsets: the small-data lesson."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from fitbench.plots._figure import new_axes
from fitbench.plots._history import CURVE_MARGINS
from fitbench.runs._record import Metrics

if TYPE_CHECKING:
    from matplotlib.axes import Axes


class SizePoint(NamedTuple):
    train_size: int
    train_score: float | None
    score: float | None  # on ``split``
    name: str


def score_by_train_size(metrics: Sequence[tuple[str, Metrics]], *, split: str = "val",
                        metric: str = "accuracy") -> list[SizePoint]:
    """One point per run (``(name, metrics)`` pairs) that recorded its train split, by size."""
    points = []
    for name, recorded in metrics:
        train, other = recorded.split("train"), recorded.split(split)
        if train is None:
            continue
        points.append(SizePoint(train.n, getattr(train, metric), getattr(other, metric, None), name))
    return sorted(points, key=lambda point: (point.train_size, point.name))


def plot_score_by_train_size(points: Sequence[SizePoint], ax: Axes | None = None, *,
                             split: str = "val", metric: str = "accuracy") -> Axes:
    """Train and ``split`` score against the number of training images (log scale)."""
    ax = new_axes(ax, (5.5, 3.6), CURVE_MARGINS)
    sizes = [p.train_size for p in points]
    for values, style, label in (([p.train_score for p in points], "o-", "train"),
                                 ([p.score for p in points], "s--", split)):
        pairs = [(size, value) for size, value in zip(sizes, values) if value is not None]
        if pairs:
            ax.plot(*zip(*pairs), style, label=label)
    if len(set(sizes)) > 1:
        ax.set_xscale("log")
    ax.set_xlabel("training images")
    ax.set_ylabel(metric.replace("_", " "))
    ax.set_title(f"{metric.replace('_', ' ')} against training-set size")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax
