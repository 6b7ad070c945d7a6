"""Find the run folders under a runs directory and say what state each is in."""

from __future__ import annotations

from pathlib import Path

from fitbench.errors import FitbenchError, spelled
from fitbench.runs import _folder
from fitbench.runs._read import read_run
from fitbench.runs._summary import RunSummary, summarize

MAX_DEPTH = 4  # runs/<run>, runs/curriculum/<run>, runs/<study>/trials/<run>...


RunEntry = RunSummary  # the name 0.1.0 used; web/ still imports it


def find_runs(runs_dir: str | Path) -> list[RunSummary]:
    """Every run folder under ``runs_dir``, newest first; damaged folders included, never fatal."""
    root = Path(runs_dir)
    if not root.is_dir():
        raise FitbenchError(f"{root}: no such runs directory; train something first or pass "
                            f"{spelled('runs_dir=', '--runs-dir')}")
    folders = [config.parent for config in _configs(root)]
    return [summarize(read_run(folder)) for folder in sorted(folders, key=_modified, reverse=True)]


def _modified(folder: Path) -> float:
    try:
        return folder.stat().st_mtime
    except OSError:  # removed while listing
        return 0.0


def _configs(root: Path) -> list[Path]:
    found = []
    for depth in range(1, MAX_DEPTH + 1):
        found += [path for path in root.glob("/".join(["*"] * depth) + "/" + _folder.CONFIG) if path.is_file()]
    return found
