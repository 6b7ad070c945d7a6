"""Drawings that stall, fail or are watched, in place of ``fitbench.web._reports``' own.

They run in the server's drawing processes, which import them by name: module-level, light
imports. ``report`` writes its run id to ``drawn.log`` beside the runs directory when it starts,
so a test counts the drawings; a run whose id starts with ``stuck`` then waits until the test
opens the FIFO ``release`` there for writing (or the drawing's time limit kills it).
``watched_report`` and ``watched_comparison`` draw for real and append every file opened,
module imported and connection tried to the file named by ``$FITBENCH_TEST_WATCH``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fitbench.errors import FitbenchError

LOG, RELEASE = "drawn.log", "release"
WATCH = "FITBENCH_TEST_WATCH"


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


_SEEN: list[str] = []  # "open PATH", "import NAME", "connect ADDRESS" since the last drawing


def _see(event: str, args: tuple) -> None:
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        _SEEN.append(f"open {os.fsdecode(args[0])}")
    elif event == "import":
        _SEEN.append(f"import {args[0]}")
    elif event == "socket.connect":
        _SEEN.append(f"connect {args[1]}")


def watched_report(*args: Any) -> bytes:
    from fitbench.web._reports import draw_report

    return _watched(draw_report, args)


def watched_comparison(*args: Any) -> bytes:
    from fitbench.web._reports import draw_comparison

    return _watched(draw_comparison, args)


def _watched(draw: Callable[..., bytes], args: tuple[Any, ...]) -> bytes:
    if _see not in getattr(sys, "_fitbench_hooks", ()):  # an audit hook cannot be removed: one per process
        sys.addaudithook(_see)
        sys._fitbench_hooks = (_see,)  # type: ignore[attr-defined]
    try:
        return draw(*args)
    finally:
        seen, _SEEN[:] = list(_SEEN), []
        with open(os.environ[WATCH], "a", encoding="utf-8") as log:
            log.write("".join(line + "\n" for line in seen))
