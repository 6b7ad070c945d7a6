"""The whole course in one command: every experiment in order, resumable, with one report.

>>> import fitbench as fb
>>> fb.curriculum.run_curriculum(dataset="digits", quick=True, out="runs/curriculum")
"""

from __future__ import annotations

from fitbench.curriculum._plan import STEPS, Step
from fitbench.curriculum._report import write_curriculum_report
from fitbench.curriculum._run import run_curriculum

__all__ = ["STEPS", "Step", "run_curriculum", "write_curriculum_report"]
