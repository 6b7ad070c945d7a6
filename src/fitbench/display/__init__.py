"""Rich display in notebooks: static HTML with inline PNG pictures (no widgets, no JavaScript),
so it renders in JupyterLab, VS Code, Colab, nbviewer and on GitHub. fitbench's classes call
these from ``_repr_html_``; an Optuna study (``fb.tune``'s result) is registered with IPython
when fitbench is imported in a notebook.

The classes import the one module they need (``fitbench.display._objects``...), not this
package: a run folder's reader must not import tuning (and with it Keras) to show itself.

>>> from fitbench.display import run_html
>>> html = run_html(fb.load_run("runs/..."))
"""

from __future__ import annotations

from fitbench.display._crossval import crossval_html
from fitbench.display._evaluation import evaluation_html
from fitbench.display._findings import findings_html
from fitbench.display._objects import dataset_html, run_html
from fitbench.display._results import comparison_html
from fitbench.display._study import study_html

__all__ = ["comparison_html", "crossval_html", "dataset_html", "evaluation_html", "findings_html", "run_html",
           "study_html"]
