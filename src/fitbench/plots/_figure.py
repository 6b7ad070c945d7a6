"""Figures without pyplot: a ``Figure`` made directly renders with the Agg canvas and leaves
the user's backend (a notebook's inline one, say) and pyplot's global state alone."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def new_axes(ax: Axes | None, size: tuple[float, float], **subplot: Any) -> Axes:
    """``ax`` itself, or the single Axes of a new figure of ``size`` inches."""
    if ax is not None:
        return ax
    return new_figure(size).add_subplot(**subplot)


def new_figure(size: tuple[float, float]) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(figure)  # Agg renders PNGs whatever backend the user has chosen
    return figure


def integer_ticks(ax: Axes) -> None:
    """Whole-number ticks on the x axis, at most about ten of them (epochs: 1, 5, 10... not 1.5)."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=10, integer=True, min_n_ticks=1))


def png_bytes(figure: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def save_png(figure: Figure, path: Path, dpi: int = 100) -> Path:
    from fitbench import _io

    _io.atomic_write(Path(path), lambda tmp: tmp.write_bytes(png_bytes(figure, dpi)))
    return Path(path)


def format_count(value: int) -> str:
    """``12,861,440``: Keras' summary writes parameter counts this way."""
    return f"{int(value):,}"
