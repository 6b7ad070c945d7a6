"""Scores of a trained model on one split: accuracy, macro F1, per-class F1, confusion matrix."""

from __future__ import annotations

from fitbench.evaluation._evaluate import Evaluation, evaluate_model, score_predictions

__all__ = ["Evaluation", "evaluate_model", "score_predictions"]
