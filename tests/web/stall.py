"""Drawings that stall or fail on cue, in place of ``fitbench.web._reports.draw_report``.

They run in the server's drawing processes, which import them by name: module-level, light
imports. Each writes its run id to ``drawn.log`` beside the runs directory when it starts, so a
test counts the drawings; a run whose id starts with ``stuck`` then waits until the test opens
the FIFO ``release`` there for writing (or the drawing's time limit kills it).
"""

from __future__ import annotations

import os
from pathlib import Path

from fitbench.errors import FitbenchError

LOG, RELEASE = "drawn.log", "release"


def base_of(folder: str) -> Path:
    """The directory above the runs directory of the run ``folder`` (runs/<id>)."""
    return Path(folder).parent.parent


def report(folder: str, run_id: str, runs_name: str, work: str) -> bytes:
    base = base_of(folder)
    with open(base / LOG, "a", encoding="utf-8") as log:
        log.write(run_id + "\n")
    if run_id.startswith("stuck"):
        with open(base / RELEASE, "rb") as fifo:  # blocks until a writer opens it, then reads to its close
            fifo.read()
    if run_id.startswith("problem"):
        raise FitbenchError(f"{run_id} cannot be drawn: a problem the folder has")
    if run_id.startswith("bug"):
        raise KeyError("a bug in the drawing code")
    return f"<html><body><p>report of {run_id}</p></body></html>".encode()


def drawn(base: Path) -> list[str]:
    """The run ids drawn so far, in order."""
    log = base / LOG
    return log.read_text(encoding="utf-8").split() if log.exists() else []


def release(base: Path) -> None:
    """Let every stalled drawing go on (those waiting on the FIFO now)."""
    try:
        handle = os.open(base / RELEASE, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:  # ENXIO: no drawing is waiting
        return
    os.close(handle)
