"""In a notebook, show the Optuna study that ``fb.tune`` returns as fitbench's HTML (a class
fitbench does not own cannot carry ``_repr_html_``; IPython's formatters take it by name)."""

from __future__ import annotations

import sys
from typing import Any


def register_displays() -> None:
    """Register the study display with the running IPython, if any (costs nothing otherwise)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    shell.display_formatter.formatters["text/html"].for_type_by_name("optuna.study.study", "Study", _study_html)


def _study_html(study: Any) -> str:
    from fitbench.display._study import study_html

    return study_html(study)
