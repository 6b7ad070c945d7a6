"""The runs a server may show: found by scanning on every request, addressed by safe ids.

A run's id is its folder's path relative to the runs directory (``20260101-120000-first``,
``curriculum/...``). Only folders that really lie under the runs directory are served:
``..``, absolute paths and symlinks that lead out are refused as if they did not exist.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from fitbench.errors import FitbenchError
from fitbench.runs import _folder
from fitbench.runs._listing import RunEntry, find_runs

# Runs trained on scikit-learn's digits take 8x8 images; every other data set is 28x28.
SMALL_DATASETS = {"digits": (8, 8)}
DRAWABLE = ("28x28", "28x28x1")  # what a drawing becomes


class RunNotFound(FitbenchError):
    """No run folder with that id under the runs directory (or one the server must not serve)."""


@dataclass(frozen=True)
class RunInfo:
    """One run as the pages and the API list it."""

    id: str
    name: str
    state: str
    epochs: int
    val_accuracy: float | None
    test_accuracy: float | None
    model: str
    parameters: int | None
    modified: str
    has_model: bool
    drawable: bool  # has a model, and its data set is 28x28 (a hint; the model decides)
    input_hint: str
    problems: tuple[str, ...]


def resolve_run(runs_dir: Path, run_id: str) -> Path:
    """The run folder of ``run_id``, resolved, or ``RunNotFound`` for anything outside ``runs_dir``."""
    root = runs_dir.resolve()
    parts = PurePosixPath(run_id).parts
    if not run_id or "\\" in run_id or "\0" in run_id or run_id.startswith("/") or ".." in parts:
        raise RunNotFound(f"no run {run_id!r} here: run ids are folder paths relative to the runs directory")
    path = (root / run_id).resolve()  # follows symlinks: where it really is
    if path == root or not path.is_relative_to(root) or not (path / _folder.CONFIG).is_file():
        raise RunNotFound(f"no run {run_id!r} under the runs directory")
    return path


def list_runs(runs_dir: Path) -> list[RunInfo]:
    """Every run folder under ``runs_dir``, newest first; an empty list when it does not exist yet."""
    if not runs_dir.is_dir():
        return []
    root = runs_dir.resolve()
    try:
        entries = find_runs(root)
    except OSError:  # a folder removed while we scanned (fitbench runs --clean): scan again
        entries = find_runs(root)
    return [_info(root, entry) for entry in entries if _inside(root, entry.path)]


def _inside(root: Path, path: Path) -> bool:
    # find_runs follows symlinked folders; a link out of the runs directory is not listed.
    try:
        return path.resolve().is_relative_to(root)
    except OSError:
        return False


def _info(root: Path, entry: RunEntry) -> RunInfo:
    from fitbench.runs import read_run

    has_model = entry.state in ("complete", "interrupted") and (entry.path / _folder.MODEL).is_file()
    hint = input_hint(read_run(entry.path).config.model_dump())
    return RunInfo(
        id=entry.path.relative_to(root).as_posix(), name=entry.name, state=entry.state, epochs=entry.epochs_run,
        val_accuracy=json_safe(entry.val_accuracy), test_accuracy=json_safe(entry.test_accuracy),
        model=entry.model, parameters=entry.parameters,
        modified=_modified(entry.path), has_model=has_model, drawable=has_model and hint in DRAWABLE,
        input_hint=hint, problems=entry.problems,
    )


def input_hint(config: dict[str, Any]) -> str:
    """The image size a run's model takes, from its config (``"8x8"``, ``"28x28"``), without loading it."""
    dataset = config.get("dataset") or {}
    shape = dataset.get("input_shape")  # runs trained on arrays record it
    if isinstance(shape, list) and shape:
        return "x".join(str(side) for side in shape)
    height, width = SMALL_DATASETS.get(str(dataset.get("name")), (28, 28))
    return f"{height}x{width}"


def _modified(path: Path) -> str:
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return ""
    return dt.datetime.fromtimestamp(stamp).astimezone().isoformat(timespec="seconds")


def run_detail(path: Path, run_id: str) -> dict[str, Any]:
    """Everything about one run, for ``GET /api/runs/{id}``: state, config, metrics, history."""
    from fitbench.runs import Run

    run = Run(path)
    return {"id": run_id, "name": run.name, "state": run.state, "config": json_safe(run.config),
            "metrics": json_safe(run.metrics.model_dump(mode="json")), "history": json_safe(run.history), "problems": list(run.problems),
            "has_model": (path / _folder.MODEL).is_file(), "input_hint": input_hint(run.config)}


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as None: a diverged run's loss is NaN, which JSON cannot carry."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value
