"""Rich display in notebooks: static HTML with inline PNG pictures (no widgets, no JavaScript),
so it renders in JupyterLab, VS Code, Colab, nbviewer and on GitHub.

fitbench's classes carry no ``_repr_html_`` (this package draws from all of them, so none of them
imports it): ``import fitbench`` in a notebook registers each class by name with IPython
(``fitbench._notebook.register_displays(shell)`` for a shell made later), and ``html(obj)`` gives
any of them as HTML.

>>> from fitbench.display import html
>>> page = html(fb.load_run("runs/..."))
"""

from __future__ import annotations

from fitbench.display._crossval import crossval_html
from fitbench.display._evaluation import evaluation_html
from fitbench.display._findings import findings_html
from fitbench.display._html import html
from fitbench.display._objects import dataset_html, run_html
from fitbench.display._results import comparison_html
from fitbench.display._study import study_html

__all__ = ["comparison_html", "crossval_html", "dataset_html", "evaluation_html", "findings_html", "html",
           "run_html", "study_html"]
