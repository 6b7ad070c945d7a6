"""The curriculum's time estimate covers the whole plan (loading, every experiment, folds,
trials, the time before each first epoch), not only the epochs left.

Issue 25: ``fitbench curriculum --quick --dataset digits`` showed "left ~0:16" at 0:16 and
ended at 5:58. The recorded test replays what a real run of that command told its estimate,
with when (tests/curriculum/record_timeline.py wrote the fixture), on a clock of its own.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from fitbench.progress import PlanEstimate, PlannedFit

TIMELINE = Path(__file__).parents[1] / "curriculum" / "fixtures" / "quick-digits-timeline.json"
FIRST_MINUTE = 60.0
FACTOR = 1.5


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_quick_course_estimate_never_misses_its_end_by_more_than_half_after_a_minute():
    recorded = json.loads(TIMELINE.read_text())
    final, clock = recorded["final_s"], Clock()
    estimate = PlanEstimate([PlannedFit(**fit) for fit in recorded["fits"]], clock=clock)
    shown = []
    for when, event, first, second in recorded["events"]:
        clock.now = when
        if event == "epoch_done":
            estimate.epoch_done(first, compiled=second)
            if when >= FIRST_MINUTE:  # an epoch's line shows elapsed and left: its predicted end
                left = estimate.left()
                assert left is not None, f"no estimate at {when:.0f} s"
                shown.append((when, when + left))
        else:
            estimate.fits_ended(first, timed=second)
    assert len(shown) >= 10, "the recording has too few epochs after its first minute"
    worst = max(max(end / final, final / end) for _, end in shown)
    assert worst <= FACTOR, [(round(when), round(end)) for when, end in shown]


def test_epochs_only_would_have_missed_it():
    """The recording is a fair test: counting the epochs left alone (the old estimate) is far off."""
    recorded = json.loads(TIMELINE.read_text())
    epochs = [event for event in recorded["events"] if event[1] == "epoch_done"]
    steady = [seconds for _, _, seconds, compiled in epochs if not compiled]
    at = next(index for index, event in enumerate(epochs) if event[0] >= FIRST_MINUTE)
    when = epochs[at][0]
    predicted = when + sum(steady) / len(steady) * (sum(fit["epochs"] for fit in recorded["fits"]) - at - 1)
    assert recorded["final_s"] / predicted > FACTOR


@settings(max_examples=50, deadline=None)
@given(overhead=st.floats(0.1, 30.0), per_image=st.floats(1e-5, 1e-2),
       plan=st.lists(st.tuples(st.integers(1, 5), st.integers(50, 5000)), min_size=2, max_size=12))
def test_with_a_constant_overhead_and_rate_the_estimate_is_exact_once_a_fit_has_ended(overhead, per_image, plan):
    """A promise with a bound: whatever the plan, the estimate after the first fit equals the
    time really left when each fit costs the same overhead plus its epochs at one rate."""
    clock = Clock()
    fits = [PlannedFit(epochs, images) for epochs, images in plan]
    estimate = PlanEstimate(fits, clock=clock)
    total = sum(overhead + fit.epochs * per_image * fit.images for fit in fits)
    for number, fit in enumerate(fits):
        clock.now += overhead
        for epoch in range(fit.epochs):
            seconds = per_image * fit.images
            clock.now += seconds
            # Every fit's first epoch compiles: timed, not steady (its compile is in the overhead here).
            estimate.epoch_done(seconds, compiled=epoch == 0)
            left = estimate.left()
            if number >= 1 and left is not None:
                assert abs(clock.now + left - total) <= 1e-6 * total + 1e-9
            assert left is None or left >= 0
        estimate.fit_ended()
    assert estimate.left() in (None, 0.0)  # None: no fit had a steady epoch to time
