"""The run folder: its file names, creating it, and its state.

A folder is complete only when ``status.json`` says so; it is written ``running`` first and
replaced last, and every file is written atomically, so a killed run never looks finished.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from pathlib import Path
from typing import Any

from fitbench import _io
from fitbench.errors import FitbenchError

CONFIG, HISTORY, METRICS, MODEL, ENVIRONMENT, STATUS = (
    "config.yaml", "history.csv", "metrics.json", "model.keras", "environment.json", "status.json",
)
STATES = ("running", "complete", "interrupted", "failed", "incomplete")


def now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def create_run_folder(runs_dir: str | Path, name: str) -> Path:
    """A new, empty ``runs_dir/<timestamp>-<name>`` (``-2``, ``-3``... if taken)."""
    runs_dir = Path(runs_dir)
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FitbenchError(f"{runs_dir}: cannot create the runs directory: {error.strerror}; choose another with --runs-dir") from None
    stem = f"{dt.datetime.now():%Y%m%d-%H%M%S}-{name}"
    for attempt in range(1, 1000):
        path = runs_dir / (stem if attempt == 1 else f"{stem}-{attempt}")
        try:
            path.mkdir()  # atomic: two processes never get the same folder
            return path
        except FileExistsError:
            continue
        except OSError as error:
            raise FitbenchError(f"{runs_dir}: cannot create a run folder: {error.strerror}; choose another with --runs-dir") from None
    raise FitbenchError(f"{runs_dir}: too many runs named {stem}")


def write_status(path: Path, state: str, **details: Any) -> dict[str, Any]:
    previous = read_json(path / STATUS) or {}
    status = {**previous, "state": state, **details, "updated": now()}
    if state == "running":
        status |= {"started": now(), "pid": os.getpid(), "host": socket.gethostname()}
    _io.write_json(path / STATUS, status)
    return status


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def run_state(path: Path) -> str:
    """``complete``, ``interrupted``, ``failed``, ``running`` or ``incomplete`` (killed or damaged)."""
    status = read_json(Path(path) / STATUS)
    if status is None or status.get("state") not in STATES:
        return "incomplete"
    if status["state"] == "running" and not _still_running(status):
        return "incomplete"
    return status["state"]


def _still_running(status: dict[str, Any]) -> bool:
    if status.get("host") != socket.gethostname():
        return True  # another machine's run: we cannot tell, so trust it
    try:
        os.kill(int(status.get("pid", -1)), 0)
    except (OSError, ValueError):
        return False
    return True
