"""Rich display in notebooks: static HTML with inline PNG pictures (no widgets, no JavaScript),
so it renders in JupyterLab, VS Code, Colab, nbviewer and on GitHub. fitbench's classes call
these from ``_repr_html_``; an Optuna study (``fb.tune``'s result) is registered with IPython
when fitbench is imported in a notebook.

>>> from fitbench.display import run_html
>>> html = run_html(fb.load_run("runs/..."))
"""

from __future__ import annotations

from fitbench.display._objects import dataset_html, evaluation_html, findings_html, run_html
from fitbench.display._results import comparison_html, crossval_html, study_html

__all__ = ["comparison_html", "crossval_html", "dataset_html", "evaluation_html", "findings_html", "run_html",
           "study_html"]
