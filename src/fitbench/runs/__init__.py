"""Run folders: what one training run leaves behind, and how to read it back.

``_record`` declares every file of a folder (typed, versioned, bounded); ``_write`` is the one
writer and ``read_run`` the one reader; ``SavedRun`` (``load_saved_run``) is a folder read back,
what every view takes (``fitbench.Run``, which adds the model, is one). Nothing here imports Keras.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the names below are, for type checkers and editors (`as`: re-exported)
    from fitbench.runs._folder import create_run_folder as create_run_folder, run_state as run_state
    from fitbench.runs._read import DamagedFile as DamagedFile, RunRecord as RunRecord, read_run as read_run
    from fitbench.runs._record import (
        FORMAT as FORMAT,
        Architecture as Architecture,
        Environment as Environment,
        ExplanationSet as ExplanationSet,
        Findings as Findings,
        History as History,
        ImageSet as ImageSet,
        Metrics as Metrics,
        RunConfig as RunConfig,
        SplitPredictions as SplitPredictions,
        SplitScores as SplitScores,
        Status as Status,
    )
    from fitbench.runs._saved import SavedRun as SavedRun, load_saved_run as load_saved_run
    from fitbench.runs._write import mark_pruned as mark_pruned

# The public names, imported on first use: `fitbench runs` reads folders and should not pay for
# the writer's imports (NumPy, the scores) or the saved-run views.
_HOMES = {
    "_folder": ("create_run_folder", "run_state"),
    "_read": ("DamagedFile", "RunRecord", "read_run"),
    "_record": ("FORMAT", "Architecture", "Environment", "ExplanationSet", "Findings", "History", "ImageSet", "Metrics", "RunConfig",
                "SplitPredictions", "SplitScores", "Status"),
    "_saved": ("SavedRun", "load_saved_run"),
    "_write": ("mark_pruned",),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use."""
    if name not in _HOME:
        raise AttributeError(f"module 'fitbench.runs' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"fitbench.runs.{_HOME[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
