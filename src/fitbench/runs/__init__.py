"""Run folders: what one training run leaves behind, and how to read it back.

``_record`` declares every file of a folder (typed, versioned, bounded); ``_write`` is the one
writer and ``read_run`` the one reader; ``SavedRun`` (``load_saved_run``) is a folder read back,
what every view takes (``fitbench.Run``, which adds the model, is one). Nothing here imports Keras.
"""

from __future__ import annotations

from fitbench.runs._folder import create_run_folder, run_state
from fitbench.runs._read import DamagedFile, RunRecord, read_run
from fitbench.runs._record import (
    FORMAT,
    Architecture,
    Environment,
    ExplanationSet,
    Findings,
    History,
    ImageSet,
    Metrics,
    RunConfig,
    SplitPredictions,
    SplitScores,
    Status,
)
from fitbench.runs._saved import SavedRun, load_saved_run
from fitbench.runs._write import mark_pruned

__all__ = [
    "FORMAT",
    "Architecture",
    "DamagedFile",
    "Environment",
    "ExplanationSet",
    "Findings",
    "History",
    "ImageSet",
    "Metrics",
    "RunConfig",
    "RunRecord",
    "SavedRun",
    "SplitPredictions",
    "SplitScores",
    "Status",
    "create_run_folder",
    "load_saved_run",
    "mark_pruned",
    "read_run",
    "run_state",
]
