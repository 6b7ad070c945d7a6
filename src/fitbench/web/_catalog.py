"""The runs a server may show, addressed by safe ids, listed from a cache kept by modification times.

A run's id is its folder's path relative to the runs directory (``20260101-120000-first``,
``curriculum/...``). Only real folders under the runs directory are served: ``..``, absolute
paths, hidden names and any symlink on the way are refused as if they did not exist.

Listing 500 folders reads every small file once; later listings only ``lstat`` the folders
and their files and reuse what did not change.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fitbench.data._registry import DIGIT_NAMES, recorded_class_names
from fitbench.errors import FitbenchError
from fitbench.runs import RunRecord, read_run
from fitbench.runs._files import find_folders, folder_under, is_regular
from fitbench.runs._record import CONFIG, ENVIRONMENT, FINDINGS, HISTORY, MAX_DRAWN_CLASSES, METRICS, MODEL, STATUS
from fitbench.runs._summary import RunSummary
from fitbench.runs._summary import summarize as summarize_run
from fitbench.runs._keras_file import model_facts

SMALL_DATASETS = {"digits": (8, 8)}  # scikit-learn's digits; every other data set is 28x28
DRAWABLE = ((28, 28), (28, 28, 1))  # what a drawing becomes
VERSION_FILES = (CONFIG, STATUS, METRICS, HISTORY, ENVIRONMENT, FINDINGS, MODEL)


class RunNotFound(FitbenchError):
    """No run folder with that id under the runs directory (or one the server must not serve)."""


@dataclass(frozen=True)
class RunInfo:
    """One run as the pages and the API list it: the runs package's summary, and what only the
    server adds (its id, whether and how its model can be loaded here)."""

    id: str
    summary: RunSummary
    modified: str
    has_model: bool  # model.keras is a regular file, not a link
    drawable: bool  # a model the server loads, 28x28 input, nothing damaged
    input_hint: str
    needs_code: str | None  # why the server will not load its model
    problems: tuple[str, ...]  # the summary's, then the server's own (model archive, classes drawn)
    class_names: tuple[str, ...] = DIGIT_NAMES  # what the draw page asks for ("0".."9": "Draw a digit")

    @property
    def name(self) -> str:
        return self.summary.name

    @property
    def state(self) -> str:
        return self.summary.state

    @property
    def epochs(self) -> int:
        return self.summary.epochs_run

    @property
    def val_accuracy(self) -> float | None:
        return json_safe(self.summary.val_accuracy)

    @property
    def test_accuracy(self) -> float | None:
        return json_safe(self.summary.test_accuracy)

    @property
    def model(self) -> str:
        return self.summary.model

    @property
    def parameters(self) -> int | None:
        return self.summary.parameters

    @property
    def dataset(self) -> str | None:
        return self.summary.dataset if self.summary.dataset != "?" else None

    def api(self) -> dict[str, Any]:
        """The fields of ``GET /api/runs`` (``_schemas.RunSummary``)."""
        return {"id": self.id, "name": self.name, "state": self.state, "epochs": self.epochs,
                "val_accuracy": self.val_accuracy, "test_accuracy": self.test_accuracy, "model": self.model,
                "parameters": self.parameters, "modified": self.modified, "has_model": self.has_model,
                "drawable": self.drawable, "input_hint": self.input_hint, "needs_code": self.needs_code,
                "dataset": self.dataset, "problems": list(self.problems)}


def root_of(runs_dir: Path) -> Path:
    """The runs directory with its own symlinks resolved: the boundary nothing is read beyond."""
    return Path(os.path.realpath(runs_dir))


def resolve_run(runs_dir: Path, run_id: str) -> Path:
    """The run folder of ``run_id``, or ``RunNotFound`` for anything not really under ``runs_dir``."""
    if not run_id or run_id.startswith("/") or "\\" in run_id or "\0" in run_id:
        raise RunNotFound(f"no run {run_id[:100]!r} here: run ids are folder paths relative to the runs directory")
    path = folder_under(root_of(runs_dir), run_id)
    if path is None:
        raise RunNotFound(f"no run {run_id[:100]!r} under the runs directory")
    return path


class Catalog:
    """Lists the runs under ``runs_dir``, newest first, rereading only folders that changed."""

    def __init__(self, runs_dir: Path) -> None:
        self.runs_dir = runs_dir
        self._known: dict[str, tuple[tuple[Any, ...], RunInfo]] = {}
        self._listing: tuple[RunInfo, ...] = ()
        self._lock = threading.Lock()  # the dict is replaced whole; requests run in a thread pool

    def runs(self) -> tuple[RunInfo, ...]:
        """Every run folder, newest first; empty when the runs directory does not exist yet.

        While no folder changed, the very same tuple is returned, so pages can keep what they
        made of it (``_app`` keeps the encoded JSON and HTML).
        """
        root = root_of(self.runs_dir)
        if not root.is_dir():
            return ()
        found: dict[str, tuple[tuple[Any, ...], RunInfo]] = {}
        known, prefix = self._known, len(str(root)) + 1
        for entry in find_folders(root):
            run_id, version = entry.path[prefix:], version_of(entry.path)
            cached = known.get(run_id)
            found[run_id] = cached if cached and cached[0] == version else (
                version, summarize(read_run(entry.path), root))
        with self._lock:
            if found != known or len(self._listing) != len(found):
                ordered = sorted(found.values(), key=lambda pair: pair[0][0], reverse=True)
                self._listing = tuple(info for _, info in ordered)
            self._known = found
            return self._listing

    def entry(self, path: Path) -> tuple[tuple[Any, ...], RunInfo]:
        """The version and listing line of the run folder ``path`` (cached while it is unchanged)."""
        root = root_of(self.runs_dir)
        run_id, version = path.relative_to(root).as_posix(), version_of(str(path))
        cached = self._known.get(run_id)
        if cached and cached[0] == version:
            return cached
        self._known[run_id] = (version, summarize(read_run(path), root))
        return self._known[run_id]


def version_of(path: Path | str) -> tuple[Any, ...]:
    """The folder's and its files' identities (lstat: mtime, size, inode): any change to the run
    changes it, a file replaced by another of the same size and time too. Kept pages, models and
    failures are keyed by it."""
    stamps: list[Any] = []
    for name in ("", *VERSION_FILES):  # plain strings: pathlib would double the time of a listing
        try:
            info = os.lstat(os.path.join(path, name))
            stamps += [info.st_mtime_ns, info.st_size, info.st_ino]
        except OSError:
            stamps += [None, None, None]
    return tuple(stamps)


def summarize(record: RunRecord, root: Path) -> RunInfo:
    """A folder's line in the listing: its summary, and its model archive's config."""
    summary = summarize_run(record)
    config = record.config.model_dump(mode="json")
    problems, shape, needs_code = [*summary.problems, *_drawing_problems(record)], None, _factory_reason(config)
    has_model = is_regular(record.path / MODEL)
    if has_model:
        facts = model_facts(record.path / MODEL)
        shape, needs_code = facts.input_shape, needs_code or facts.needs_code
        if facts.problem and not any(problem.startswith(MODEL) for problem in problems):
            problems.append(facts.problem)  # read_run may have said it already: one line per file
    hint = input_hint(shape, config)
    return RunInfo(
        id=record.path.relative_to(root).as_posix(), summary=summary, modified=_modified(record.path),
        has_model=has_model, drawable=has_model and not problems and not needs_code and _reads_28(shape, hint),
        input_hint=hint, needs_code=needs_code, problems=tuple(problems), class_names=_class_names(record, config))


def _class_names(record: RunRecord, config: dict[str, Any]) -> tuple[str, ...]:
    section = config.get("dataset") or {}
    declared = section.get("class_names")
    classes = record.metrics.classes if record.metrics and record.metrics.classes else None
    return recorded_class_names(section, classes or (len(declared) if isinstance(declared, list) else 10))


def _drawing_problems(record: RunRecord) -> list[str]:
    classes = record.metrics.classes if record.metrics else None
    if classes and classes > MAX_DRAWN_CLASSES:
        return [f"{METRICS}: {classes} classes; the web page draws at most {MAX_DRAWN_CLASSES}"]
    return []


def _factory_reason(config: dict[str, Any]) -> str | None:
    factory = (config.get("model") or {}).get("factory")
    return f"built by {factory}, code the server does not import" if factory else None


def input_hint(shape: tuple[int | None, ...] | None, config: dict[str, Any]) -> str:
    """The image size a run's model takes (``"8x8"``, ``"28x28"``): its archive's, else its config's."""
    if shape is None:
        dataset = config.get("dataset") or {}
        shape = tuple(dataset.get("input_shape") or SMALL_DATASETS.get(str(dataset.get("name")), (28, 28)))
    return "x".join("?" if side is None else str(side) for side in shape)


def _reads_28(shape: tuple[int | None, ...] | None, hint: str) -> bool:
    return shape in DRAWABLE if shape is not None else hint in ("28x28", "28x28x1")


def _modified(path: Path) -> str:
    try:
        stamp = os.lstat(path).st_mtime
    except OSError:
        return ""
    return dt.datetime.fromtimestamp(stamp).astimezone().isoformat(timespec="seconds")


def run_detail(record: RunRecord, info: RunInfo) -> dict[str, Any]:
    """Everything about one run, for ``GET /api/runs/{id}``: state, config, metrics, history."""
    config = record.config.model_dump(mode="json", exclude_unset=True)
    metrics = record.metrics.model_dump(mode="json", exclude_unset=True) if record.metrics else {}
    return {"id": info.id, "name": info.name, "state": info.state, "config": json_safe(config),
            "metrics": json_safe(metrics), "history": json_safe(record.history.columns),
            "problems": list(info.problems), "has_model": info.has_model, "input_hint": info.input_hint,
            "needs_code": info.needs_code}


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as None: a diverged run's loss is NaN, which JSON cannot carry."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value
