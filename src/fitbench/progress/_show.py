"""The three ways to show progress, behind one small interface (``step``, ``note``, ``close``).

- a terminal: one tqdm bar updating in place, notes written above it;
- a log (a file, a pipe, CI): one plain line per step, no carriage returns;
- a notebook kernel: one HTML bar in a display updated in place (``display_id``), notes as
  plain text. tqdm's own notebook bar is an ipywidget: it needs JavaScript and shows nothing
  in a saved notebook (nbconvert, nbviewer, GitHub), so the bar here is static HTML.
"""

from __future__ import annotations

import html
import sys
from typing import Any

from fitbench.progress._where import Mode


class Display:
    """Shows nothing: ``verbose=0``."""

    def step(self, text: str, advance: int = 1) -> None:
        """``advance`` steps done; ``text`` describes the latest."""

    def skip(self, steps: int) -> None:
        """``steps`` counted as done without showing anything (work found already done)."""

    def note(self, text: str) -> None:
        """One line of its own: a summary, a notice."""

    def close(self) -> None:
        """The bar is finished (a terminal keeps it on screen)."""


class Lines(Display):
    """One line per step and per note on stdout, flushed: what a CI log or ``| tee`` wants."""

    def step(self, text: str, advance: int = 1) -> None:
        self.note(text)

    def note(self, text: str) -> None:
        stream = sys.stdout  # looked up now: tests and notebooks replace it
        stream.write(f"{text}\n")
        stream.flush()


class Terminal(Display):
    """One tqdm bar over ``total`` steps, its text the latest step's."""

    def __init__(self, total: int | None, label: str = "") -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=label or None, file=sys.stdout, dynamic_ncols=True, leave=True, mininterval=0,
                        bar_format="{desc}{percentage:3.0f}%|{bar:20}|{postfix}")

    def step(self, text: str, advance: int = 1) -> None:
        self.bar.set_postfix_str(text, refresh=False)
        self.bar.update(advance)

    def skip(self, steps: int) -> None:
        self.bar.update(steps)

    def note(self, text: str) -> None:
        self.bar.write(text, file=sys.stdout)

    def close(self) -> None:
        self.bar.close()


class Notebook(Display):
    """An HTML ``<progress>`` bar in one display, updated in place after every step."""

    def __init__(self, total: int | None, label: str = "") -> None:
        self.total, self.label, self.done = total, label, 0
        self.handle = _display(_Html(self._html("starting")), display_id=True)

    def step(self, text: str, advance: int = 1) -> None:
        self.done += advance
        self.handle.update(_Html(self._html(text)))

    def skip(self, steps: int) -> None:
        self.done += steps

    def note(self, text: str) -> None:
        Lines().note(text)  # the kernel shows stdout below the cell, in order with the displays

    def _html(self, text: str) -> str:
        bar = f'<progress value="{self.done}" max="{self.total}"></progress>' if self.total else ""
        label = f"<b>{html.escape(self.label)}</b> " if self.label else ""
        return f'<div class="fitbench-progress">{label}{bar} <code>{html.escape(text)}</code></div>'


def open_display(mode: Mode, total: int | None = None, label: str = "") -> Display:
    """The display for ``mode`` (see ``choose_mode``)."""
    if mode == "terminal":
        return Terminal(total, label)
    if mode == "notebook":
        return Notebook(total, label)
    if mode == "lines":
        return Lines()
    return Display()


def _display(obj: Any, **options: Any) -> Any:
    from IPython.display import display

    return display(obj, **options)


def _Html(text: str) -> Any:  # noqa: N802  a constructor in all but name
    from IPython.display import HTML

    return HTML(text)
