"""Training progress as a Keras callback (both engines call ``on_epoch_*``): one step per
epoch with its scores, time and an estimate of what is left; in a notebook also a live
figure of loss and accuracy, redrawn in place after each epoch."""

from __future__ import annotations

import time
from typing import Any

from fitbench._keras import keras
from fitbench.progress._estimate import Estimate, clock
from fitbench.progress._show import Display, _display


class LiveFigure:
    """Loss and accuracy curves (train and validation) in one notebook display, redrawn in place."""

    def __init__(self) -> None:
        self.handle: Any = None

    @property
    def drawn(self) -> bool:
        return self.handle is not None

    def draw(self, history: dict[str, list[float]]) -> None:
        from IPython.display import Image

        from fitbench.plots import history_curves, plot_history, png_bytes

        image = Image(data=png_bytes(plot_history(history_curves(history)), dpi=72), format="png")
        if self.handle is None:
            self.handle = _display(image, display_id=True)
        else:
            self.handle.update(image)


class TrainingProgress(keras.callbacks.Callback):
    """Shows each finished epoch on ``display``; ``estimate`` may span many fits (the curriculum)."""

    def __init__(self, display: Display, epochs: int, *, label: str = "", estimate: Estimate | None = None,
                 figure: LiveFigure | None = None) -> None:
        super().__init__()
        self.display, self.epochs, self.label = display, epochs, label
        self.estimate = estimate or Estimate(epochs)
        self.figure = figure
        self.history: dict[str, list[float]] = {}
        self._compiling = True
        self._start = 0.0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._compiling = True  # every fit compiles its first epoch anew

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.estimate.fit_ended()  # a plan's estimate learns what a whole fit costs

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        seconds = time.perf_counter() - self._start
        self.estimate.epoch_done(seconds, compiled=self._compiling)
        self._compiling = False
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        self.display.step(self.line(epoch, seconds, logs or {}))
        if self.figure is not None:
            self.figure.draw(self.history)

    def line(self, epoch: int, seconds: float, logs: dict[str, Any]) -> str:
        """``label epoch 3/5 - 1.20s - loss 0.3124 - ... - elapsed 0:04, left ~0:02``."""
        scores = "".join(f" - {key} {float(value):.4f}" for key, value in logs.items())
        label = f"{self.label} " if self.label else ""
        return (f"{label}epoch {epoch + 1}/{self.epochs} - {seconds:.2f}s{scores} - "
                f"elapsed {clock(self.estimate.elapsed())}, left ~{clock(self.estimate.left())}")
