"""The classes fitbench shows as HTML in a notebook, by name, and the ``fitbench.display``
function that draws each: read by ``_notebook`` (which registers them with IPython) and by
``fitbench.display.html``. Names, not classes: neither may import the classes' packages.

``ShownAsHtml`` gives those classes ``_repr_html_`` as well, for front ends that ask the object
and not IPython's formatters (marimo, Streamlit's ``st.write``, Panel).
"""

from __future__ import annotations

import importlib

# (module, class) -> the fitbench.display function that draws it; a subclass (fitbench.Run is
# a SavedRun) shows as its parent does.
DISPLAYS = {
    ("fitbench.data._dataset", "Dataset"): "dataset_html",
    ("fitbench.runs._saved", "SavedRun"): "run_html",
    ("fitbench.evaluation._evaluate", "Evaluation"): "evaluation_html",
    ("fitbench.diagnosis._finding", "Findings"): "findings_html",
    ("fitbench.report._compare", "Comparison"): "comparison_html",
    ("fitbench.crossval._crossval", "CrossValidation"): "crossval_html",
    ("optuna.study.study", "Study"): "study_html",
}


class ShownAsHtml:
    """``_repr_html_``: the HTML ``fitbench.display.html`` draws, as a notebook shows it.

    fitbench.display sits above the packages of the classes that use this (it reads data sets,
    runs, evaluations), so it is imported by name when first shown, as IPython's formatters
    find it: an import statement would make the cycle the layer contracts forbid."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        html: str = importlib.import_module("fitbench.display").html(self)
        return html
