"""Reports: one self-contained HTML file per run, and comparisons of several runs.

>>> run.report()                          # <run>/report.html; figures in <run>/figures/, reused while unchanged
>>> fb.compare([run_a, run_b]).table()    # plain rows, best validation score first
>>> fb.compare(["runs/a", "runs/b"]).to_html("compare.html")
"""

from __future__ import annotations

from fitbench.report._compare import COLUMNS, Comparison, Row, compare
from fitbench.report._facts import class_names, model_label, recorded_confusion
from fitbench.report._report import write_report

__all__ = ["COLUMNS", "Comparison", "Row", "class_names", "compare", "model_label", "recorded_confusion",
           "write_report"]
