"""Time left, estimated from steady epochs: a fit's first epoch also compiles (XLA), which
can take many times a steady epoch and would make the first estimate wild."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fitbench._words import plural  # noqa: F401  re-exported by fitbench.progress


@dataclass
class Estimate:
    """Elapsed time and what is left of ``total`` epochs of one fit (``PlanEstimate``: of many)."""

    total: int
    done: int = 0
    steady: list[float] = field(default_factory=list)  # seconds of epochs that did not compile
    clock: Callable[[], float] = time.perf_counter  # a recorded clock in tests
    start: float = field(default=float("nan"))

    def __post_init__(self) -> None:
        if self.start != self.start:  # NaN: not given, now
            self.start = self.clock()

    def epoch_done(self, seconds: float, *, compiled: bool) -> None:
        """Count an epoch; ``compiled``: it was the first of its fit, so its time is not steady."""
        self.done += 1
        if not compiled:
            self.steady.append(seconds)

    def skip(self, epochs: int) -> None:
        """Epochs that need no training (a run already done): fewer left, no time spent."""
        self.done += epochs

    def fit_ended(self) -> None:
        """A fit ended (its ``on_train_end``): nothing follows it in a single fit's estimate."""

    def elapsed(self) -> float:
        return self.clock() - self.start

    def left(self) -> float | None:
        """Seconds left, or None until a steady epoch has been timed."""
        if not self.steady:
            return None
        return sum(self.steady) / len(self.steady) * max(self.total - self.done, 0)


def clock(seconds: float | None) -> str:
    """``m:ss`` (``?`` when unknown)."""
    if seconds is None:
        return "?"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"
