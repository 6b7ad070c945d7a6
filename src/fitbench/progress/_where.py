"""Where output goes: a notebook kernel, a terminal, or a log (a file, a pipe, CI)."""

from __future__ import annotations

import sys
from typing import Literal

from fitbench._kernel import is_kernel

Mode = Literal["off", "lines", "terminal", "notebook"]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, VS Code, Colab), False in IPython on a terminal."""
    ipython = sys.modules.get("IPython")
    if ipython is None:  # a kernel has always imported it
        return False
    shell = ipython.get_ipython()
    return shell is not None and is_kernel(shell)


def choose_mode(verbose: bool | int) -> Mode:
    """``off`` when not verbose; else the kind of display this process writes to."""
    if not verbose:
        return "off"
    if in_notebook():
        return "notebook"
    return "terminal" if _isatty() else "lines"


def _isatty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced or closed stdout
        return False
