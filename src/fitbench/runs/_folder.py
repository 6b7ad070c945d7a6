"""The run folder: its file names, creating it, and its state.

A folder is complete only when ``status.json`` says so; it is written ``running`` first and
replaced last, and every file is written atomically, so a killed run never looks finished.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
from pathlib import Path
from typing import Any

from fitbench import _io
from fitbench.errors import FitbenchError, spelled
from fitbench.runs._files import DamagedFile, read_file
from fitbench.runs._lock import is_locked
from fitbench.runs._record import CONFIG, ENVIRONMENT, FORMAT, HISTORY, MAX_BYTES, METRICS, MODEL, STATUS  # noqa: F401

STATES = ("running", "complete", "interrupted", "failed", "incomplete")


def now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def create_run_folder(runs_dir: str | Path, name: str, need_bytes: int = 0) -> Path:
    """A new, empty ``runs_dir/<timestamp>-<name>`` (``-2``, ``-3``... if taken).

    Refuses, before anything is trained, a runs directory that cannot be written or that
    has less than ``need_bytes`` free.
    """
    runs_dir = Path(runs_dir)
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FitbenchError(f"{runs_dir}: cannot create the runs directory: {error.strerror}; "
                            f"choose another with {spelled('runs_dir=', '--runs-dir')}") from None
    free = shutil.disk_usage(runs_dir).free
    if free < need_bytes:
        raise FitbenchError(
            f"{runs_dir}: only {free / 1e6:.1f} MB free, and this run needs about {need_bytes / 1e6:.1f} MB "
            f"(model and checkpoint); free some space or choose another {spelled('runs_dir=', '--runs-dir')}"
        )
    stem = f"{dt.datetime.now():%Y%m%d-%H%M%S}-{name}"
    for attempt in range(1, 1000):
        path = runs_dir / (stem if attempt == 1 else f"{stem}-{attempt}")
        try:
            path.mkdir()  # atomic: two processes never get the same folder
            return path
        except FileExistsError:
            continue
        except OSError as error:
            raise FitbenchError(f"{runs_dir}: cannot create a run folder: {error.strerror}; "
                                f"choose another with {spelled('runs_dir=', '--runs-dir')}") from None
    raise FitbenchError(f"{runs_dir}: too many runs named {stem}")


def unwritable(path: Path, error: OSError) -> FitbenchError:
    """Remove a run folder that could not be written, and say why in one line."""
    shutil.rmtree(path, ignore_errors=True)
    return FitbenchError(f"{path.parent}: cannot write a run folder there: {error.strerror or error}; "
                         f"free some space or choose another {spelled('runs_dir=', '--runs-dir')}")


def write_status(path: Path, state: str, **details: Any) -> dict[str, Any]:
    previous = read_json(path / STATUS) or {}
    # A folder keeps the format it was created with (a resumed 0.1.0 folder stays format 1).
    status = {"format": previous.get("format", 1) if previous else FORMAT,
              **previous, "state": state, **details, "updated": now()}
    if state == "running":
        status |= {"started": now(), "pid": os.getpid(), "host": socket.gethostname()}
    _io.write_json(path / STATUS, status)
    return status


def read_json(path: Path) -> dict[str, Any] | None:
    return read_json_checked(path)[0]


def read_json_checked(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The JSON object in ``path``, or None and a one-line reason (missing, damaged, a link, a FIFO)."""
    try:
        raw = read_file(path, MAX_BYTES.get(path.name, 1_000_000))
        if raw is None:
            return None, f"{path.name} is missing"
        data = json.loads(raw.decode("utf-8"))
    except DamagedFile as error:
        return None, str(error)
    except (ValueError, RecursionError) as error:
        return None, f"{path.name} is damaged ({error})"
    if not isinstance(data, dict):
        return None, f"{path.name} is damaged (expected a JSON object)"
    return data, None


def run_state(path: Path, *, locked: bool = False) -> str:
    """``complete``, ``interrupted``, ``failed``, ``running`` or ``incomplete`` (killed or damaged).

    ``running`` means another live process holds the folder's lock: status.json's pid and
    host are only a note for people, never trusted (pids are reused, folders are copied).
    ``locked``: this process holds the lock, so no other one is running it.
    """
    status = read_json(Path(path) / STATUS)
    return state_of(path, status.get("state") if status else None, locked=locked)


def state_of(path: Path, recorded: Any, *, locked: bool = False) -> str:
    """The state of the folder ``path`` whose status.json says ``recorded`` (None: missing or damaged)."""
    alive = not locked and is_locked(path)
    if recorded not in STATES:
        return "running" if alive else "incomplete"
    if recorded == "running" and not alive:
        return "incomplete"
    return str(recorded)


def resumable(path: Path, *, locked: bool = False) -> Path:
    """``path`` if it is a run folder that can be resumed, else a FitbenchError saying why.

    ``locked``: this process holds the folder's lock, so it is not "running" elsewhere.
    """
    if not path.exists():
        raise FitbenchError(f"{path}: no such folder; give a run folder (fitbench runs lists them)")
    if not (path / CONFIG).is_file():
        raise FitbenchError(f"{path}: not a run folder (no {CONFIG}); nothing to resume")
    state = run_state(path, locked=locked)
    if state == "complete":
        raise FitbenchError(f"{path}: this run is complete; there is nothing to resume")
    if state == "running":
        raise FitbenchError(f"{path}: another process is training this run; wait for it to end "
                            "or stop it (Ctrl-C) first")
    return path
