"""Figures without pyplot: a ``Figure`` made directly renders with the Agg canvas and leaves
the user's backend (a notebook's inline one, say) and pyplot's global state alone.

The pictures place their axes with fixed margins (``Margins``, in inches, sized from the
labels they hold) rather than a layout engine: constrained layout measures every text and
draws the figure twice, which doubled the cost of a report's pictures.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DPI = 100


class Margins(NamedTuple):
    """Room around the axes, in inches: tick labels, axis labels, title, colorbar."""

    left: float = 0.0
    bottom: float = 0.0
    right: float = 0.0
    top: float = 0.0


def text_width(texts: Iterable[str], fontsize: float = 10.0) -> float:
    """About the width in inches of the longest of ``texts`` (DejaVu Sans: ~0.6 em a character),
    without drawing anything."""
    return max((len(text) for text in texts), default=0) * 0.6 * fontsize / 72


def new_axes(ax: Axes | None, size: tuple[float, float], margins: Margins | None = None, **subplot: Any) -> Axes:
    """``ax`` itself, or the single Axes of a new figure of ``size`` inches."""
    if ax is not None:
        return ax
    return new_figure(size, margins).add_subplot(**subplot)


def new_figure(size: tuple[float, float], margins: Margins | None = None) -> Figure:
    """A figure of ``size`` inches whose subplots keep ``margins``; without margins, constrained
    layout places them (slower: for figures whose labels are not known in advance)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, layout="constrained" if margins is None else None)
    FigureCanvasAgg(figure)  # Agg renders PNGs whatever backend the user has chosen
    if margins is not None:
        width, height = size
        figure.subplots_adjust(left=margins.left / width, right=1 - margins.right / width,
                               bottom=margins.bottom / height, top=1 - margins.top / height)
    return figure


def integer_ticks(ax: Axes) -> None:
    """Whole-number ticks on the x axis, at most about ten of them (epochs: 1, 5, 10... not 1.5)."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=10, integer=True, min_n_ticks=1))


def png_bytes(figure: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes, every text drawn as plain text (see ``plain_text``)."""
    from matplotlib import rc_context

    buffer = io.BytesIO()
    with rc_context({"text.parse_math": False}):  # tick labels are made while drawing
        plain_text(figure)
        figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def plain_text(figure: Figure) -> None:
    """Turn math text off in every text of ``figure``: names come from run folders, and a
    ``$...$`` in a class or layer name made matplotlib parse it (ValueError, ParseFatalException,
    or a RecursionError at 3.3 GB). fitbench's own labels use no math."""
    from matplotlib.table import Cell
    from matplotlib.text import Text

    texts = [*figure.findobj(Text), *(cell.get_text() for cell in figure.findobj(Cell))]  # a cell's is no child
    for text in texts:
        text.set_parse_math(False)


def save_png(figure: Figure, path: Path, dpi: int = DPI) -> Path:
    from fitbench import _io

    _io.atomic_write(Path(path), lambda tmp: tmp.write_bytes(png_bytes(figure, dpi)))
    return Path(path)


def format_count(value: int) -> str:
    """``12,861,440``: Keras' summary writes parameter counts this way."""
    return f"{int(value):,}"
