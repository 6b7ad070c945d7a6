"""The classes fitbench shows as HTML in a notebook, by name, and the ``fitbench.display``
function that draws each: read by ``_notebook`` (which registers them with IPython) and by
``fitbench.display.html``. Names, not classes: neither may import the classes' packages."""

from __future__ import annotations

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
