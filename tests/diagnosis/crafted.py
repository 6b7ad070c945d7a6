"""Crafted histories and run folders: each rule's situation, made by hand, with no training."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fitbench import _io
from fitbench.runs import _folder

# A healthy early-stopped run: validation loss bottoms out at epoch 6, creeps up under 3% for
# the three epochs of patience, training accuracy near 0.95, best weights restored.
HEALTHY = {
    "loss": [0.90, 0.50, 0.35, 0.28, 0.24, 0.21, 0.19, 0.17, 0.16],
    "accuracy": [0.75, 0.86, 0.90, 0.92, 0.93, 0.94, 0.945, 0.95, 0.955],
    "val_loss": [0.60, 0.42, 0.34, 0.30, 0.29, 0.282, 0.284, 0.287, 0.290],
    "val_accuracy": [0.82, 0.88, 0.90, 0.91, 0.915, 0.918, 0.918, 0.917, 0.916],
}
STOPPING = {"patience": 3, "monitor": "val_loss", "min_delta": 0.0, "restore_best_weights": True}

# The course's small-data run: training accuracy reaches 1, validation loss bottoms at epoch 8.
OVERFIT = {
    "loss": [1.70, 0.68, 0.39, 0.26, 0.20, 0.16, 0.12, 0.09, 0.07, 0.05, 0.04, 0.03, 0.02, 0.015, 0.01],
    "accuracy": [0.55, 0.83, 0.90, 0.93, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995, 1.0, 1.0, 1.0, 1.0, 1.0],
    "val_loss": [1.10, 0.64, 0.51, 0.47, 0.43, 0.42, 0.40, 0.38, 0.39, 0.40, 0.42, 0.44, 0.46, 0.49, 0.52],
    "val_accuracy": [0.70, 0.82, 0.85, 0.86, 0.87, 0.88, 0.885, 0.89, 0.89, 0.895, 0.895, 0.89, 0.9, 0.9, 0.9],
}


def split_record(split: str, n: int, accuracy: float, loss: float = 0.3) -> dict[str, Any]:
    right = round(n * accuracy)
    matrix = [[right // 2, (n // 2) - right // 2], [n - n // 2 - (right - right // 2), right - right // 2]]
    return {"split": split, "n": n, "loss": loss, "accuracy": accuracy, "macro_f1": accuracy,
            "per_class_f1": [accuracy, accuracy], "confusion_matrix": matrix}


def run_folder(root: Path, name: str = "crafted", *, history: dict[str, list[float]] | None = None,
               stopping: dict[str, Any] | None = STOPPING, stopped_early: bool = True,
               dataset: dict[str, Any] | None = None, splits: dict[str, Any] | None = None,
               training: dict[str, Any] | None = None, best_epoch: int | None = None) -> Path:
    """A complete-looking run folder without model.keras (as if the model file were lost)."""
    history = history or HEALTHY
    path = root / name
    path.mkdir(parents=True)
    config = {"name": name, "dataset": dataset or {"name": "arrays", "input_shape": [8, 8], "num_classes": 2},
              "model": {"zoo": "small"},
              "training": {"optimizer": "adam", "learning_rate": 3e-4, "batch_size": 10, "epochs": 25,
                           "early_stopping": stopping, "seed": 42, **(training or {})}}
    _io.write_yaml(path / _folder.CONFIG, config)
    keys = list(history)
    epochs = len(history[keys[0]])
    _io.write_csv(path / _folder.HISTORY, ["epoch", *keys, "time_s"],
                  [[k + 1, *[history[key][k] for key in keys], 0.5] for k in range(epochs)])
    val = history.get("val_loss", [])
    best = best_epoch or (val.index(min(val)) + 1 if val else epochs)
    _io.write_json(path / _folder.METRICS, {
        "parameters": 6570, "total_parameters": 6570, "epochs_run": epochs, "best_epoch": best,
        "monitor": "val_loss", "stopped_early": stopped_early, "interrupted": None, "wall_time_s": 0.5 * epochs,
        "time_per_epoch_s": 0.5,
        "splits": splits if splits is not None else {"train": split_record("train", 4000, 0.95),
                                                     "val": split_record("val", 2000, 0.918),
                                                     "test": split_record("test", 2000, 0.91, 0.31)}})
    _folder.write_status(path, "complete", format=1)  # metrics and history only, as fitbench 0.1.0 wrote
    return path
