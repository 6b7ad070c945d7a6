"""Rendering: the display templates, and pictures as inline PNG (no files, no JavaScript)."""

from __future__ import annotations

from typing import Any

from fitbench import _templates
from fitbench.errors import FitbenchError
from fitbench.plots import png_bytes
from fitbench.report._html import data_uri

DPI = 72  # notebook-sized pictures: each display stays well under 200 kB


def render(template: str, **context: Any) -> str:
    return _templates.render("fitbench.display", template, **context)


def picture(draw: Any) -> str | None:
    """``draw()``'s figure (or Axes) as a ``data:`` URI; None when it has nothing to draw."""
    try:
        drawn = draw()
    except (FitbenchError, ValueError, KeyError, IndexError):  # e.g. a run with no recorded epochs
        return None
    figure = getattr(drawn, "figure", drawn)
    return data_uri(png_bytes(figure, dpi=DPI))
