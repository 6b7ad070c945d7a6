"""In a notebook, show fitbench's objects (and the Optuna study ``fb.tune`` returns) as HTML.

Their HTML is drawn by ``fitbench.display``, near the top of the package, which a data set or a
run record must not import. IPython's formatters take each class by name (``_display_names``),
so registering imports none of them; the classes' own ``_repr_html_`` (``ShownAsHtml``), for
other front ends, draws the same HTML.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

from fitbench._display_names import DISPLAYS


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


def quiet_tqdm_widgets() -> None:
    """No "TqdmWarning: IProgress not found" box in a kernel without ipywidgets. Optuna imports
    ``tqdm.auto`` when it is imported (for a bar fitbench never asks for), and tqdm warns then;
    fitbench's notebook progress is plain HTML and needs no widget."""
    warnings.filterwarnings("ignore", message="IProgress not found", module=r"tqdm\.")


def _html(obj: Any) -> str:
    from fitbench.display import html

    return html(obj)
