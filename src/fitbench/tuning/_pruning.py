"""A Keras callback that reports each epoch's validation score to an Optuna trial and prunes.

Like ``optuna_integration.KerasPruningCallback``, with two differences: it can score macro
F1 (Keras' logs only hold loss and accuracy), and when the pruner says stop it ends training
after the epoch instead of raising inside ``fit``, so the trial still leaves a complete run
folder; ``raise_if_pruned()`` then raises ``optuna.TrialPruned`` once the folder is written.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import optuna
from sklearn.metrics import f1_score

from fitbench._keras import keras
from fitbench.models import predict

_FROM_LOGS = {"val_accuracy", "val_loss", "accuracy", "loss"}


class PruningCallback(keras.callbacks.Callback):
    """Report ``monitor`` after every epoch (step = epoch, 1-based); stop when Optuna prunes.

    Args:
        monitor: a Keras log key (``val_accuracy``, ``val_loss``) or ``val_macro_f1``.
        validation_data: ``(x_val, y_val)``, needed for ``val_macro_f1`` only.
    """

    def __init__(self, trial: optuna.Trial, monitor: str,
                 validation_data: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        super().__init__()
        if monitor not in _FROM_LOGS and not (monitor == "val_macro_f1" and validation_data is not None):
            raise ValueError(f"cannot monitor {monitor!r}: expected one of {sorted(_FROM_LOGS)}, "
                             "or val_macro_f1 with validation_data")
        self.trial, self.monitor, self.validation_data = trial, monitor, validation_data
        self.pruned_at: int | None = None  # the 1-based epoch after which the pruner stopped the trial
        self.last_score: float | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        score = self._score(logs or {})
        self.last_score = score
        self.trial.report(score, step=epoch + 1)
        if self.trial.should_prune():
            self.pruned_at = epoch + 1
            self.model.stop_training = True

    def pruned_message(self) -> str | None:
        """Why the trial was pruned, or None if it was not."""
        if self.pruned_at is None:
            return None
        return f"pruned after epoch {self.pruned_at}: {self.monitor} {self.last_score:.4f}"

    def raise_if_pruned(self) -> None:
        message = self.pruned_message()
        if message is not None:
            raise optuna.TrialPruned(message)

    def _score(self, logs: dict[str, Any]) -> float:
        if self.monitor != "val_macro_f1":
            if self.monitor not in logs:
                raise KeyError(f"PruningCallback: {self.monitor!r} is not in this epoch's logs {sorted(logs)}")
            return float(logs[self.monitor])
        assert self.validation_data is not None  # __init__ refuses val_macro_f1 without it
        x_val, y_val = self.validation_data
        probabilities = predict(self.model, x_val)  # (n, classes)
        classes = list(range(probabilities.shape[1]))  # as the run folder's scores count them
        predicted = np.argmax(probabilities, axis=1)
        return float(f1_score(y_val, predicted, labels=classes, average="macro", zero_division=0))
