"""Rules about early stopping: what it kept, and whether it stopped for a real reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fitbench.diagnosis._finding import Finding

History = Mapping[str, Sequence[float]]

# After the best epoch, a monitored value still improving by this fraction per epoch was not
# done: the best epoch was a lucky dip. A plateau moves by a few tenths of a percent.
STILL_IMPROVING = 0.01


def _monitored(history: History, monitor: str) -> np.ndarray:
    # Accuracy-like monitors improve upwards; flip them so "lower is better" holds for all.
    values = np.asarray(history.get(monitor, []), dtype=np.float64)
    return -values if "acc" in monitor else values


def no_best_weights(history: History, early_stopping: Mapping[str, Any] | None, *,
                    best_epoch: int | None) -> Finding | None:
    """Early stopping on, best weights not restored, and the last epoch was not the best."""
    if not early_stopping or early_stopping.get("restore_best_weights", True):
        return None
    monitor = str(early_stopping.get("monitor", "val_loss"))
    values = np.asarray(history.get(monitor, []), dtype=np.float64)
    if best_epoch is None or not len(values) or best_epoch >= len(values):
        return None
    best, last = values[best_epoch - 1], values[-1]
    return Finding(
        "no_best_weights", "warning", "early stopping kept the last epoch's weights, not the best epoch's",
        f"{monitor} was best at epoch {best_epoch} ({best:.4f}); the saved model is epoch {len(values)}'s "
        f"({last:.4f})", "set early_stopping restore_best_weights: true (fitbench's default)",
        {"best_epoch": best_epoch, "kept_epoch": len(values), "best": float(best), "kept": float(last)})


def noisy_stop(history: History, early_stopping: Mapping[str, Any] | None, *, stopped_early: bool) -> Finding | None:
    """Early stopping fired, but the monitored curve was improving again when it did.

    A real turn (overfitting) keeps getting worse after the best epoch and a plateau stays flat;
    a stop on noise comes after one lucky epoch, with the epochs after it still falling fast.
    """
    if not early_stopping or not stopped_early:
        return None
    monitor = str(early_stopping.get("monitor", "val_loss"))
    values = _monitored(history, monitor)
    if len(values) < 3 or not np.all(np.isfinite(values)):
        return None
    best = int(np.argmin(values))
    after = values[best + 1:]
    if len(after) < 2:
        return None
    rate = float(np.polyfit(np.arange(len(after)), after, 1)[0] / abs(np.mean(after)))  # per epoch
    if rate > -STILL_IMPROVING:
        return None
    shown = np.abs(values) if "acc" in monitor else values
    return Finding(
        "noisy_stop", "warning", f"early stopping fired at epoch {len(values)} on noise, not on a real turn",
        f"{monitor} was best at epoch {best + 1} ({shown[best]:.4f}), then still improving "
        f"{100 * -rate:.1f}% per epoch: " + " -> ".join(f"{v:.4f}" for v in shown[best + 1:]),
        f"give early stopping more patience (patience: {2 * len(after)}) or a min_delta, "
        "or use a bigger validation set", {"best_epoch": best + 1, "stopped_epoch": len(values), "rate": rate})
