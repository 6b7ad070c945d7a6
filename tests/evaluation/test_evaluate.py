"""Scores of one split, from labels and predicted probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from fitbench.evaluation import score_predictions


def test_scores_from_probabilities():
    y = np.array([0, 1, 2, 2])
    probabilities = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3], [0.05, 0.05, 0.9]], np.float32)
    scores = score_predictions("val", y, probabilities)
    assert (scores.split, scores.n, scores.accuracy) == ("val", 4, 0.75)
    assert scores.confusion_matrix == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]  # row: true class, column: predicted
    assert scores.per_class_f1 == pytest.approx([1.0, 2 / 3, 2 / 3])
    assert scores.macro_f1 == pytest.approx(7 / 9)
    assert scores.loss == pytest.approx(-np.mean(np.log([0.8, 0.7, 0.3, 0.9])), rel=1e-5)


def test_a_class_never_predicted_scores_zero_not_an_error():
    scores = score_predictions("test", np.array([0, 1]), np.array([[0.9, 0.1, 0.0], [0.6, 0.4, 0.0]]))
    assert scores.per_class_f1[2] == 0.0 and len(scores.confusion_matrix) == 3
