"""Find the run folders under a runs directory and say what state each is in."""

from __future__ import annotations

import os
from pathlib import Path

from fitbench.errors import FitbenchError, spelled
from fitbench.runs._files import find_folders
from fitbench.runs._read import read_run
from fitbench.runs._summary import RunSummary, summarize


def find_runs(runs_dir: str | Path) -> list[RunSummary]:
    """Every run folder under ``runs_dir``, newest first; damaged folders included, never fatal.

    Symlinked and hidden folders are not entered, so nothing outside ``runs_dir`` is read.
    """
    root = Path(runs_dir)
    if not root.is_dir():
        raise FitbenchError(f"{root}: no such runs directory; train something first or pass "
                            f"{spelled('runs_dir=', '--runs-dir')}")
    folders = sorted(find_folders(root), key=_modified, reverse=True)
    return [summarize(read_run(folder.path)) for folder in folders]


def _modified(folder: os.DirEntry[str]) -> float:
    try:
        return folder.stat(follow_symlinks=False).st_mtime
    except OSError:  # removed while listing
        return 0.0
