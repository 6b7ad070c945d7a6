"""Compute a split's scores with scikit-learn from the model's predicted probabilities."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, log_loss

from fitbench._display_names import ShownAsHtml
from fitbench.models import predict
from fitbench.models._programs import PREDICT_BATCH


@dataclass(frozen=True)
class Evaluation(ShownAsHtml):
    """Scores of one split. ``confusion_matrix[i][j]`` counts true class i predicted as j."""

    split: str
    n: int
    loss: float
    accuracy: float
    macro_f1: float
    per_class_f1: list[float]
    confusion_matrix: list[list[int]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return (f"{self.split}: accuracy {self.accuracy:.4f}, macro F1 {self.macro_f1:.4f}, "
                f"loss {self.loss:.4f} ({self.n} images)")


def score_predictions(split: str, y_true: np.ndarray, probabilities: np.ndarray) -> Evaluation:
    """Scores from true labels ``(n,)`` and predicted class probabilities ``(n, classes)``."""
    classes = list(range(probabilities.shape[1]))
    # float32 softmax rows sum to 1 only up to rounding; scikit-learn's log_loss insists.
    probabilities = probabilities / probabilities.sum(axis=1, keepdims=True)
    predicted = probabilities.argmax(axis=1)
    return Evaluation(
        split=split,
        n=int(len(y_true)),
        loss=float(log_loss(y_true, probabilities, labels=classes)),
        accuracy=float(accuracy_score(y_true, predicted)),
        macro_f1=float(f1_score(y_true, predicted, labels=classes, average="macro", zero_division=0)),
        per_class_f1=[float(v) for v in f1_score(y_true, predicted, labels=classes, average=None, zero_division=0)],
        confusion_matrix=confusion_matrix(y_true, predicted, labels=classes).tolist(),
    )


def evaluate_model(model: Any, x: np.ndarray, y: np.ndarray, *, split: str,
                   batch_size: int = PREDICT_BATCH) -> Evaluation:
    """Predict ``x`` with a Keras model (softmax outputs) and score it against ``y``."""
    probabilities = predict(model, x, batch_size=batch_size)
    return score_predictions(split, y, probabilities)
