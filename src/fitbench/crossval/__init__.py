"""k-fold cross-validation: one model per stratified fold, and the vote of the k models."""

from __future__ import annotations

from fitbench.crossval._crossval import CrossValidation, cross_validate, vote

__all__ = ["CrossValidation", "cross_validate", "vote"]
