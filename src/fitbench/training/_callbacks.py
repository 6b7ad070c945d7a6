"""Callbacks fitbench adds to every ``fit``: they watch and record, never change the numbers."""

from __future__ import annotations

import math
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from fitbench import _io
from fitbench._keras import keras
from fitbench._log import log
from fitbench.runs import _folder


class StopOnSignal(keras.callbacks.Callback):
    """Ctrl-C or SIGTERM ends training at the next batch end (keras engine) or epoch end
    (compiled engine); a second Ctrl-C stops at once.

    The handler only sets a flag: it runs between two bytecodes of whatever the main thread
    is doing, possibly Keras halfway through assigning its state, so touching the model there
    (``stop_training``) or writing to stderr (a re-entrant write) can break both. The
    callback hooks read the flag and stop training from ordinary code.

    Used as a context manager around training *and* saving, so a signal during saving
    waits for the run folder to be complete instead of leaving it half-written.
    """

    def __init__(self) -> None:
        super().__init__()
        self.received: str | None = None
        self._told = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is threading.main_thread():  # signals only work there
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.received = signal.Signals(signum).name

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._stop_if_received("after this batch")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._stop_if_received("after this epoch")

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        # fit() resets stop_training when it starts; a signal that came before still counts.
        self._stop_if_received("before this epoch")

    def _stop_if_received(self, when: str) -> None:
        if self.received is None:
            return
        self.model.stop_training = True
        if not self._told:
            self._told = True
            log.warning(f"{self.received}: stopping {when} and saving the run (Ctrl-C again to stop at once)")


class StopOnNaN(keras.callbacks.Callback):
    """Ends training after an epoch whose loss is NaN or infinite (like Keras' TerminateOnNaN,
    at epoch granularity for both engines), and puts back the weights of the last finite
    epoch so the run can still be scored and saved; the history keeps the bad epoch, from
    which the diagnosis reports the divergence."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch: int | None = None  # 0-based epoch whose loss was not finite
        self._good: list[Any] | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._good = self.model.get_weights()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            self._good = self.model.get_weights()
            return
        self.epoch = epoch
        self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.epoch is not None and self._good is not None:
            self.model.set_weights(self._good)


class HistoryWriter(keras.callbacks.Callback):
    """Keeps per-epoch wall times and rewrites ``history.csv`` after every epoch,
    so a run that is killed keeps the epochs it finished. A resumed run starts from the
    rows, times and wall time its checkpoint saved."""

    def __init__(self, path: Path, rows: list[dict[str, float]] | None = None,
                 times: list[float] | None = None, wall_before: float = 0.0) -> None:
        super().__init__()
        self.path = path
        self.rows: list[dict[str, float]] = list(rows or [])
        self.epoch_times: list[float] = list(times or [])
        self.wall_before = wall_before
        self._train_start = self._start = time.perf_counter()

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._train_start = time.perf_counter()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch_times.append(time.perf_counter() - self._start)
        self.rows.append({key: float(value) for key, value in (logs or {}).items()})
        write_history(self.path, self.rows, self.epoch_times)

    def wall_time_s(self) -> float:
        """Seconds of training so far, earlier sessions of a resumed run included."""
        return self.wall_before + time.perf_counter() - self._train_start


def write_history(folder: Path, rows: list[dict[str, float]], times: list[float]) -> None:
    """``history.csv``: one row per epoch (1-based), Keras' log keys, then seconds."""
    keys = list(dict.fromkeys(key for row in rows for key in row))
    table = [[epoch + 1, *[row.get(key, "") for key in keys], seconds]
             for epoch, (row, seconds) in enumerate(zip(rows, times))]
    _io.write_csv(folder / _folder.HISTORY, ["epoch", *keys, "time_s"], table)
