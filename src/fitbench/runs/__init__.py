"""Run folders: what one training run leaves behind, and how to read it back.

``_record`` declares every file of a folder (typed, versioned, bounded); ``_write`` is the one
writer and ``read_run`` the one reader. Nothing here imports Keras.
"""

from __future__ import annotations

from fitbench.runs._folder import create_run_folder, run_state
from fitbench.runs._read import DamagedFile, RunRecord, read_run
from fitbench.runs._record import (
    FORMAT,
    Architecture,
    Environment,
    Findings,
    History,
    ImageSet,
    Metrics,
    RunConfig,
    SplitPredictions,
    SplitScores,
    Status,
)
from fitbench.runs._run import Run, load_run
from fitbench.runs._write import mark_pruned

__all__ = [
    "FORMAT",
    "Architecture",
    "DamagedFile",
    "Environment",
    "Findings",
    "History",
    "ImageSet",
    "Metrics",
    "Run",
    "RunConfig",
    "RunRecord",
    "SplitPredictions",
    "SplitScores",
    "Status",
    "create_run_folder",
    "load_run",
    "mark_pruned",
    "read_run",
    "run_state",
]
