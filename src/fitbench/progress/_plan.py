"""Time left of a plan of many fits (the curriculum: experiments, seeds, folds, trials).

Counting only the epochs left made the curriculum's estimate 10 to 20 times short ("left
~0:16" at 0:16, done at 5:58): most of a quick course is spent outside steady epochs, in
loading data, building, the first epoch's compile, scoring and saving, and in the folds and
trials. Here every planned fit costs a learned overhead plus its epochs at a learned time per
training image, both measured as fits end, so the estimate covers the whole plan and is
corrected as it goes.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from fitbench.progress._estimate import Estimate

# Training images per epoch of a fit whose size the plan does not say (the course's MNIST
# split: 48,000), until such a fit has been timed.
UNSIZED_IMAGES = 48_000


@dataclass(frozen=True)
class PlannedFit:
    """One training of the plan: its epochs and its training images (None: not known before it runs)."""

    epochs: int
    images: int | None = None


class PlanEstimate(Estimate):
    """``Estimate`` over ``fits`` in order; told of each fit's end (``fit_ended``/``fits_ended``)."""

    def __init__(self, fits: list[PlannedFit], **kwargs: object) -> None:
        super().__init__(sum(fit.epochs for fit in fits), **kwargs)  # type: ignore[arg-type]
        self.fits = fits
        self.index = 0  # the fit under way
        self.mark = self.start  # when it began: when the one before it ended
        self.per_image: list[float] = []  # steady epoch seconds per training image
        self.blocks: list[_Block] = []  # fits that ended, alone or together, and what they took
        self.current: list[float] = []  # steady epoch seconds of the fit under way
        self.epochs_run = 0  # epochs of the fit under way
        self.unsized: float | None = None  # images learned for fits the plan did not size

    def epoch_done(self, seconds: float, *, compiled: bool) -> None:
        super().epoch_done(seconds, compiled=compiled)
        self.epochs_run += 1
        if compiled:
            return
        self.current.append(seconds)
        images = self._planned(self.index).images
        if images:
            self.per_image.append(seconds / images)

    def fit_ended(self) -> None:
        self.fits_ended(1)

    def fits_ended(self, count: int, *, timed: bool = True) -> None:
        """``count`` fits ended now: trained (``timed``: their time teaches the overhead) or reused."""
        now, ended = self.clock(), [self._planned(self.index + i) for i in range(count)]
        if timed:
            self._learn(now - self.mark, ended)
        self.index += count
        self.mark, self.current, self.epochs_run = now, [], 0

    def catch_up(self, fits: int) -> None:
        """The plan's first ``fits`` fits have ended, some without a callback to say so (a study's
        trials, reused folds): the rest of them end now, as one timed block."""
        if fits > self.index:
            self.fits_ended(fits - self.index)

    def left(self) -> float | None:
        """Seconds left of the whole plan; None until one steady epoch is timed."""
        rate = _mean(self.per_image)
        if rate is None and not self.current:
            return None
        if self.index >= len(self.fits):  # every planned fit ended (a retried one may still run)
            return 0.0
        spent = self.clock() - self.mark
        fit = self._planned(self.index)
        epoch = _mean(self.current) or self._epoch_seconds(fit, rate)
        overhead = self._overhead(rate)
        if overhead is None:  # no fit ended yet: at least what this one spent outside its epochs
            overhead = max(spent - sum(self.current), 0.0)
        now_left = max(overhead + fit.epochs * epoch - spent, (fit.epochs - self.epochs_run) * epoch, 0.0)
        later = sum(overhead + planned.epochs * self._epoch_seconds(planned, rate)
                    for planned in self.fits[self.index + 1:])
        return now_left + later

    def _learn(self, seconds: float, ended: list[PlannedFit]) -> None:
        rate = _mean(self.per_image)
        if len(ended) == 1 and self.current:  # one fit, timed epoch by epoch: its training is known
            epoch = statistics.fmean(self.current)
            if ended[0].images is None and rate:
                self.unsized = epoch / rate  # the next unsized fit is likely the same data
            self.blocks.append(_Block(seconds, 1, training_s=self.epochs_run * epoch))
        else:  # a block without steady epoch times (a study's trials, one-epoch fits): as planned
            image_epochs = sum(fit.epochs * (fit.images or self.unsized or UNSIZED_IMAGES) for fit in ended)
            self.blocks.append(_Block(seconds, len(ended), image_epochs=image_epochs))

    def _overhead(self, rate: float | None) -> float | None:
        """Mean seconds of a fit outside its steady epochs, at the rate known now."""
        if not self.blocks:
            return None
        return statistics.median(block.overhead(rate) for block in self.blocks)  # the first fit also imports and warms up

    def _epoch_seconds(self, fit: PlannedFit, rate: float | None) -> float:
        if rate is None:
            return _mean(self.current) or 0.0
        return rate * (fit.images or self.unsized or UNSIZED_IMAGES)

    def _planned(self, index: int) -> PlannedFit:
        # More fits than planned (a fit retried): like the last planned one.
        return self.fits[min(index, len(self.fits) - 1)] if self.fits else PlannedFit(0)


@dataclass(frozen=True)
class _Block:
    """Fits that ended together: their seconds, and their training as timed or as planned."""

    seconds: float
    count: int
    training_s: float | None = None  # timed epoch by epoch
    image_epochs: float = 0.0  # else: training images times epochs, as planned

    def overhead(self, rate: float | None) -> float:
        training = self.training_s if self.training_s is not None else (rate or 0.0) * self.image_epochs
        return max(self.seconds - training, 0.0) / self.count


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None
