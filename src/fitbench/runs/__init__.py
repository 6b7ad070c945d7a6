"""Run folders: what one training run leaves behind, and how to read it back.

``_record`` declares every file of a folder (typed, versioned, bounded); ``_write`` is the one
writer and ``read_run`` the one reader; ``SavedRun`` (``load_saved_run``) is a folder read back,
what every view takes (``fitbench.Run``, which adds the model, is one). Nothing here imports Keras.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fitbench._lazy import lazy_names

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
__getattr__, __dir__, __all__ = lazy_names(__name__, {
    "_folder": ("create_run_folder", "run_state"),
    "_read": ("DamagedFile", "RunRecord", "read_run"),
    "_record": ("FORMAT", "Architecture", "Environment", "ExplanationSet", "Findings", "History", "ImageSet",
                "Metrics", "RunConfig", "SplitPredictions", "SplitScores", "Status"),
    "_saved": ("SavedRun", "load_saved_run"),
    "_write": ("mark_pruned",),
})

