"""Rules that read the training curves (Keras' history: loss, val_loss, accuracy, val_accuracy).

Epochs in messages are 1-based, as Keras prints them. Thresholds are named constants with
the reason for their value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fitbench.diagnosis._finding import Finding, points

History = Mapping[str, Sequence[float]]

# Validation loss must climb this far above its minimum to count as overfitting: epoch-to-epoch
# wobble on a few thousand images is a few percent.
OVERFIT_RISE = 0.10
# "Still falling" at the last epoch: the last step lowered the loss by more than this fraction.
STILL_FALLING = 0.01
# Training accuracy under this leaves room to learn: the curves are still "high".
UNDERFIT_ACCURACY = 0.97
# Training loss at least this many times its earlier minimum: the optimiser is diverging.
DIVERGE_FACTOR = 2.0
# The course's bug: validation loss 20-90 against a training loss below 1.
SCALE_RATIO = 10.0


def _series(history: History, key: str) -> np.ndarray:
    return np.asarray(history.get(key, []), dtype=np.float64)


def _lowest(values: np.ndarray) -> int:
    return int(np.argmin(np.where(np.isfinite(values), values, np.inf)))


def overfitting(history: History, *, early_stopping: Mapping[str, Any] | None = None,
                stopped_early: bool = False) -> Finding | None:
    """Validation loss rising from its minimum while training loss keeps falling."""
    val, train = _series(history, "val_loss"), _series(history, "loss")
    if len(val) < 3 or len(train) != len(val) or not np.all(np.isfinite(val)):
        return None
    best = _lowest(val)
    after = val[best + 1:]
    if len(after) < 2 or after.max() < val[best] * (1 + OVERFIT_RISE) or train[-1] >= train[best]:
        return None
    final_gap = _accuracy_gap(history, len(val) - 1)
    if final_gap is not None and final_gap < 0:
        return None  # validation scores better than training: something else is going on (scales, dropout)
    restored = bool(early_stopping and early_stopping.get("restore_best_weights"))
    caught = bool(early_stopping) and stopped_early
    kept = best if caught and restored else len(val) - 1
    numbers = {"began_epoch": best + 2, "best_epoch": best + 1, "best_val_loss": float(val[best]),
               "final_val_loss": float(val[-1]), "rise": float(after.max() / val[best] - 1),
               "accuracy_gap": _accuracy_gap(history, kept), "caught": caught, "restored": caught and restored}
    evidence = _overfit_evidence(val, train, best, kept, numbers)
    if caught:
        how = f"restored epoch {best + 1}'s weights" if restored else "kept the last epoch's weights"
        return Finding("overfitting", "info" if restored else "warning",
                       f"overfitting began at epoch {best + 2}; early stopping caught it at epoch {len(val)} and {how}",
                       evidence, "this is early stopping doing its job; to overfit later, add data, "
                       "augmentation (rotation), dropout or a smaller model", numbers)
    return Finding("overfitting", "warning",
                   f"overfitting began at epoch {best + 2} and nothing stopped it", evidence,
                   f"stop near epoch {best + 1} (early_stopping: {{patience: 3}}), or fight it with more data, "
                   "augmentation (rotation), dropout or a smaller model", numbers)


def _overfit_evidence(val: np.ndarray, train: np.ndarray, best: int, kept: int, numbers: dict[str, Any]) -> str:
    evidence = (f"validation loss lowest at epoch {best + 1} ({val[best]:.4f}), then up to {val[best + 1:].max():.4f} "
                f"(+{100 * numbers['rise']:.0f}%) by epoch {len(val)} while training loss fell from "
                f"{train[best]:.4f} to {train[-1]:.4f}")
    if numbers["accuracy_gap"] is not None:
        evidence += f"; train/validation accuracy gap {points(numbers['accuracy_gap'])} at epoch {kept + 1}"
    return evidence


def _accuracy_gap(history: History, epoch: int) -> float | None:
    train, val = _series(history, "accuracy"), _series(history, "val_accuracy")
    if len(train) <= epoch or len(val) <= epoch:
        return None
    return float(train[epoch] - val[epoch])


def _falling(values: np.ndarray) -> bool:
    # The last epoch is the best so far and clearly lower than the one before.
    return len(values) >= 2 and _lowest(values) == len(values) - 1 and values[-1] < values[-2] * (1 - STILL_FALLING)


def underfitting(history: History) -> Finding | None:
    """Both curves still falling at the last epoch with the training score far from perfect."""
    train, val = _series(history, "loss"), _series(history, "val_loss")
    accuracy = _series(history, "accuracy")
    if not _falling(train) or (len(val) and not _falling(val)):
        return None
    high = accuracy[-1] < UNDERFIT_ACCURACY if len(accuracy) else train[-1] > 0.1
    if not high:
        return None
    last = len(train)
    evidence = f"training loss {train[-2]:.4f} -> {train[-1]:.4f} at the last epoch ({last})"
    if len(val):
        evidence += f", validation loss {val[-2]:.4f} -> {val[-1]:.4f}"
    if len(accuracy):
        evidence += f"; training accuracy only {accuracy[-1]:.4f}"
    return Finding("underfitting", "warning", f"still learning when training ended after {last} epochs",
                   evidence, f"train longer (e.g. epochs: {2 * last}) with early stopping, "
                   "or use a bigger model or a higher learning rate",
                   {"epochs": last, "train_loss": float(train[-1]),
                    "val_loss": float(val[-1]) if len(val) else None})


def divergence(history: History, *, learning_rate: float | None = None,
               optimizer: str | None = None) -> Finding | None:
    """NaN or exploding training loss: the step size is too big for this problem."""
    train, val = _series(history, "loss"), _series(history, "val_loss")
    if not len(train):
        return None
    bad = [k for k in range(len(train)) if not np.isfinite(train[k]) or (len(val) > k and not np.isfinite(val[k]))]
    exploded = [k for k in range(1, len(train)) if np.isfinite(train[k])
                and train[k] >= DIVERGE_FACTOR * np.nanmin(np.where(np.isfinite(train[:k]), train[:k], np.nan))]
    if not bad and not exploded:
        return None
    setting = f"learning rate {learning_rate:g}" if learning_rate is not None else "this learning rate"
    if optimizer:
        setting += f" ({optimizer})"
    if bad:
        epoch = bad[0]
        value = train[epoch] if not np.isfinite(train[epoch]) else val[epoch]
        evidence = f"the loss became {value} at epoch {epoch + 1} with {setting}"
    else:
        epoch = exploded[0]
        evidence = (f"training loss {train[epoch]:.4g} at epoch {epoch + 1}, over {DIVERGE_FACTOR:g}x its earlier "
                    f"low of {np.nanmin(train[:epoch]):.4g}, with {setting}")
    lower = f"{learning_rate / 10:g}" if learning_rate else "a tenth of it"
    return Finding("divergence", "error", f"training diverged at epoch {epoch + 1}", evidence,
                   f"lower the learning rate (try {lower}) and check the inputs are scaled to 0..1",
                   {"epoch": epoch + 1, "learning_rate": learning_rate, "nan": bool(bad)})


def metric_loss_disagree(history: History) -> Finding | None:
    """Validation loss rising after its best epoch while validation accuracy holds or rises."""
    loss, accuracy = _series(history, "val_loss"), _series(history, "val_accuracy")
    if len(loss) < 3 or len(accuracy) != len(loss) or not np.all(np.isfinite(loss)):
        return None
    best = _lowest(loss)
    rise = loss[-1] / loss[best] - 1
    if best == len(loss) - 1 or rise < OVERFIT_RISE / 2 or accuracy[-1] < accuracy[best]:
        return None
    peak = best + int(np.argmax(accuracy[best:]))
    return Finding(
        "metric_loss_disagree", "info",
        f"validation loss rose {100 * rise:.0f}% after epoch {best + 1} while validation accuracy did not fall",
        f"epoch {best + 1} -> {len(loss)}: validation loss {loss[best]:.4f} -> {loss[-1]:.4f}, validation "
        f"accuracy {accuracy[best]:.4f} -> {accuracy[-1]:.4f} (best {accuracy[peak]:.4f} at epoch {peak + 1})",
        "the loss also punishes confident mistakes (see the top losses); choose epochs by the score "
        "you report (early_stopping monitor: val_accuracy) or keep the loss-chosen epoch and say why",
        {"best_loss_epoch": best + 1, "best_accuracy_epoch": peak + 1, "rise": float(rise)})


def scale_mismatch_in_history(history: History, *, classes: int = 10) -> Finding | None:
    """Validation loss worse than guessing while validation accuracy is good, or far above the
    training loss throughout: the confident, wrong outputs of inputs on another scale."""
    train, val = _series(history, "loss"), _series(history, "val_loss")
    accuracy = _series(history, "val_accuracy")
    if not len(val) or len(train) != len(val) or not np.all(np.isfinite(val)):
        return None
    chance = math.log(classes)
    ratio = float(np.median(val / np.maximum(train, 1e-12)))
    # A model this accurate has a loss well under chance's unless its outputs are saturated.
    saturated = len(accuracy) == len(val) and np.mean((val > chance) & (accuracy > 0.5)) > 0.5 \
        and val[-1] > 3 * train[-1]
    if not saturated and (ratio < SCALE_RATIO or np.median(val) < 2 * chance):
        return None
    evidence = f"validation loss {val.min():.2f} to {val.max():.2f} (guessing scores {chance:.2f})"
    if len(accuracy) == len(val):
        evidence += f" at validation accuracy {accuracy.min():.2f} to {accuracy.max():.2f}"
    evidence += f", while training loss is {train.min():.3f} to {train.max():.3f}"
    return Finding(
        "scale_mismatch", "error", "validation inputs seem to be on a different scale from the training inputs",
        evidence, "scale every split the same way (x / 255 for train, validation and test), or pass raw pixels "
        "everywhere and put Rescaling in the model", {"ratio": ratio, "saturated": bool(saturated)})
