"""Progress, the one way fitbench shows work as it happens (training, tuning, the curriculum).

Where it writes is decided here, not by its callers: in a terminal one tqdm bar updating in
place; in a log file or CI one line per step with no carriage returns; in a notebook kernel an
HTML bar and a live figure updated in place. ``verbose=0`` shows nothing.

>>> display = open_display(choose_mode(verbose=True), total=5)
>>> display.step("epoch 1/5 ..."); display.note("done"); display.close()
"""

from __future__ import annotations

from fitbench.progress._estimate import Estimate, clock, plural
from fitbench.progress._plan import PlanEstimate, PlannedFit
from fitbench.progress._show import Display, Lines, Notebook, Terminal, open_display
from fitbench.progress._training import LiveFigure, TrainingProgress
from fitbench.progress._where import Mode, choose_mode, in_notebook

__all__ = [
    "Display",
    "Estimate",
    "Lines",
    "LiveFigure",
    "Mode",
    "Notebook",
    "PlanEstimate",
    "PlannedFit",
    "Terminal",
    "TrainingProgress",
    "choose_mode",
    "clock",
    "in_notebook",
    "open_display",
    "plural",
]
