"""Suspect labels: confident learning (cleanlab) on out-of-sample probabilities from k-fold training."""

from __future__ import annotations

from fitbench.audit._audit import find_label_issues
from fitbench.audit._issues import CSV, PAGE, LabelIssues, Suspect

__all__ = ["CSV", "PAGE", "LabelIssues", "Suspect", "find_label_issues"]
