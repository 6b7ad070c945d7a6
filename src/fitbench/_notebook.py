"""In a notebook, show fitbench's objects (and the Optuna study ``fb.tune`` returns) as HTML,
and its warnings as a small note rather than stderr's red box.

Their HTML is drawn by ``fitbench.display``, near the top of the package, which a data set or a
run record must not import. IPython's formatters take each class by name (``_display_names``),
so registering imports none of them; the classes' own ``_repr_html_`` (``ShownAsHtml``), for
other front ends, draws the same HTML.
"""

from __future__ import annotations

import sys
import warnings
from html import escape
from typing import Any, TextIO

from fitbench._display_names import DISPLAYS
from fitbench._kernel import is_kernel
from fitbench._log import warning_text
from fitbench.errors import FitbenchWarning

# Amber, as a caution, legible on light and dark themes alike.
_NOTE = ('<div class="fitbench-warning" role="note" style="border-left:4px solid #d97706;'
         'background:rgba(217,119,6,0.10);padding:4px 10px;margin:4px 0;font-size:0.92em">'
         '<b>fitbench</b> {text}</div>')


def register_displays(shell: Any = None) -> None:
    """Register the displays with ``shell`` (default: the running IPython, if any; costs nothing
    outside one). ``import fitbench`` does this in a notebook; call it for a shell made later."""
    if shell is None:
        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["text/html"]
    for module, name in DISPLAYS:
        formatter.for_type_by_name(module, name, _html)
    quiet_tqdm_widgets()
    if is_kernel(shell):
        show_warnings_as_notes()


def show_warnings_as_notes() -> None:
    """A ``FitbenchWarning`` shows as a small note under the cell (``note``), not as the red
    stderr box with a file name and a quoted source line; other warnings keep Python's way.
    ``warnings`` filters still decide ("ignore", "error", once per place): Python calls
    ``showwarning`` only for a warning they let through. Idempotent."""
    if getattr(warnings.showwarning, "_fitbench_note", False):
        return
    previous = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: TextIO | None = None, line: str | None = None) -> None:
        if issubclass(category, FitbenchWarning) and file is None:  # a stream asked for: it gets the text
            from IPython.display import display

            display(note(message), raw=True)
        else:
            previous(message, category, filename, lineno, file, line)

    show._fitbench_note = True  # type: ignore[attr-defined]
    warnings.showwarning = show


def note(message: Warning | str) -> dict[str, str]:
    """A warning as a notebook shows it: an HTML note, and the terminal's one line as plain text."""
    text = warning_text(message)
    return {"text/html": _NOTE.format(text=escape(text)), "text/plain": f"fitbench: {text}"}


def quiet_tqdm_widgets() -> None:
    """No "TqdmWarning: IProgress not found" box in a kernel without ipywidgets. Optuna imports
    ``tqdm.auto`` when it is imported (for a bar fitbench never asks for), and tqdm warns then;
    fitbench's notebook progress is plain HTML and needs no widget."""
    warnings.filterwarnings("ignore", message="IProgress not found", module=r"tqdm\.")


def _html(obj: Any) -> str:
    from fitbench.display import html

    return html(obj)
