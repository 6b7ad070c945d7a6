"""Record what the curriculum tells its time estimate, with when: the fixture of
test_plan_estimate.py. Run from the repository root (about 6 minutes on a loaded 2-core machine):

    PYTHONPATH=src python tests/curriculum/record_timeline.py tests/curriculum/fixtures/quick-digits-timeline.json
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
import time

from fitbench.curriculum import _run
from fitbench.progress import PlanEstimate

EVENTS: list[list] = []


class Recording(PlanEstimate):
    def epoch_done(self, seconds: float, *, compiled: bool) -> None:
        EVENTS.append([self.elapsed(), "epoch_done", seconds, compiled])
        super().epoch_done(seconds, compiled=compiled)

    def fits_ended(self, count: int, *, timed: bool = True) -> None:
        EVENTS.append([self.elapsed(), "fits_ended", count, timed])
        super().fits_ended(count, timed=timed)


def main(path: str) -> None:
    made: list[Recording] = []

    def recording(fits, **kwargs):
        made.append(Recording(fits, **kwargs))
        return made[-1]

    _run.PlanEstimate = recording  # type: ignore[assignment,misc]
    with tempfile.TemporaryDirectory() as out:
        began = time.perf_counter()
        _run.run_curriculum(dataset="digits", quick=True, out=out, verbose=False)
        final = time.perf_counter() - began
    plan = [dataclasses.asdict(fit) for fit in made[0].fits]
    with open(path, "w") as file:
        json.dump({"command": "fitbench curriculum --quick --dataset digits", "final_s": made[0].elapsed(),
                   "wall_s": final, "fits": plan, "events": EVENTS}, file, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
