"""The numbers of each curriculum step, over its seeds, and whether two steps really differ."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

from fitbench.diagnosis import interval_half_width
from fitbench.runs import Run


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

    @property
    def gap(self) -> float:
        """Training minus validation accuracy: how far the model overfits."""
        return self.train - self.val

    def noise(self) -> float:
        """How much ``val`` moves by chance: 2 sd over seeds, or the 95% interval of one score."""
        if self.seeds > 1:
            return 2 * self.val_sd
        return interval_half_width(self.val, self.val_n)


def step_numbers(runs: list[Run]) -> StepNumbers | None:
    """Numbers of the runs (one per seed) that finished with scores; None if none did."""
    scored = [run for run in runs if run.metrics.get("splits", {}).get("val")]
    if not scored:
        return None
    val = [run.metrics["splits"]["val"]["accuracy"] for run in scored]
    test = [run.metrics["splits"]["test"]["accuracy"] for run in scored if "test" in run.metrics["splits"]]
    best = [run.metrics["best_epoch"] for run in scored if run.metrics.get("best_epoch") is not None]
    return StepNumbers(
        val=statistics.mean(val), val_sd=statistics.stdev(val) if len(val) > 1 else 0.0,
        val_f1=_mean(run.metrics["splits"]["val"]["macro_f1"] for run in scored),
        train=_mean(run.metrics["splits"]["train"]["accuracy"] for run in scored),
        test=statistics.mean(test) if test else None,
        val_n=int(scored[0].metrics["splits"]["val"]["n"]),
        parameters=int(scored[0].metrics["parameters"]),
        epochs_run=_mean(run.metrics["epochs_run"] for run in scored),
        best_epoch=statistics.mean(best) if best else None,
        seconds_per_epoch=_mean(run.metrics.get("time_per_epoch_s") or 0.0 for run in scored),
        seconds=_mean(run.metrics.get("wall_time_s") or 0.0 for run in scored),
        seeds=len(scored),
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
