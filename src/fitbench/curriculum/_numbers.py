"""The numbers of each curriculum step, over its seeds, and whether two steps really differ."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

from fitbench.diagnosis import interval_half_width
from fitbench.runs import SavedRun


@dataclass(frozen=True)
class StepNumbers:
    """Means over seeds (sd is 0 with one seed); accuracies are fractions."""

    val: float
    val_sd: float
    val_f1: float
    train: float
    test: float | None
    val_n: int
    parameters: int
    epochs_run: float
    best_epoch: float | None
    seconds_per_epoch: float
    seconds: float
    seeds: int
    stopped_early: bool = False  # early stopping ended at least one seed's run

    @property
    def gap(self) -> float:
        """Training minus validation accuracy: how far the model overfits."""
        return self.train - self.val

    def noise(self) -> float:
        """How much ``val`` moves by chance: 2 sd over seeds, or the 95% interval of one score."""
        if self.seeds > 1:
            return 2 * self.val_sd
        return interval_half_width(self.val, self.val_n)


def step_numbers(runs: list[SavedRun]) -> StepNumbers | None:
    """Numbers of the runs (one per seed) that finished with scores; None if none did."""
    scored = [(run.metrics, run.metrics.splits["val"]) for run in runs if "val" in run.metrics.splits]
    if not scored:
        return None
    val = [v.accuracy for _, v in scored]
    test = [m.splits["test"].accuracy for m, _ in scored if "test" in m.splits]
    best = [m.best_epoch for m, _ in scored if m.best_epoch is not None]
    first = scored[0][0]
    return StepNumbers(
        val=statistics.mean(val), val_sd=statistics.stdev(val) if len(val) > 1 else 0.0,
        val_f1=_mean(v.macro_f1 for _, v in scored),
        train=_mean(m.splits["train"].accuracy for m, _ in scored if "train" in m.splits),
        test=statistics.mean(test) if test else None,
        val_n=scored[0][1].n,
        parameters=first.parameters or 0,
        epochs_run=_mean(m.epochs_run for m, _ in scored),
        best_epoch=statistics.mean(best) if best else None,
        seconds_per_epoch=_mean(m.time_per_epoch_s or 0.0 for m, _ in scored),
        seconds=_mean(m.wall_time_s or 0.0 for m, _ in scored),
        seeds=len(scored),
        stopped_early=any(m.stopped_early for m, _ in scored),
    )


def versus(a: StepNumbers, b: StepNumbers) -> str:
    """``"+0.012, more than the noise (+/- 0.004)"``: a's validation accuracy against b's."""
    difference = a.val - b.val
    noise = max(a.noise(), b.noise())
    if a.seeds > 1 and b.seeds > 1:
        kind = f"seed-to-seed noise, +/- {noise:.3f} over {min(a.seeds, b.seeds)} seeds"
    else:
        kind = f"noise of one score on {min(a.val_n, b.val_n):,} validation images, +/- {noise:.3f}"
    verdict = "more than" if abs(difference) > noise else "within"
    return f"{difference:+.3f}, {verdict} the {kind}"


def _mean(values: Any) -> float:
    values = list(values)
    return statistics.mean(values) if values else math.nan
