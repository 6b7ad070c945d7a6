"""The whole course in one command: every experiment in order, resumable, with one report.

>>> import fitbench as fb
>>> fb.curriculum.run_curriculum(dataset="digits", quick=True, out="runs/curriculum")
"""

from __future__ import annotations

from typing import Any

from fitbench.curriculum._plan import STEPS, Step
from fitbench.curriculum._report import write_curriculum_report

__all__ = ["STEPS", "Step", "run_curriculum", "write_curriculum_report"]


def __getattr__(name: str) -> Any:
    # Running the course needs Keras; its report does not, so the runner loads on first use.
    if name == "run_curriculum":
        from fitbench.curriculum._run import run_curriculum

        return run_curriculum
    raise AttributeError(f"module 'fitbench.curriculum' has no attribute {name!r}")
