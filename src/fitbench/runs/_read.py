"""``read_run``: a run folder back as a typed ``RunRecord``, whatever state its files are in.

Each file is size-checked before it is parsed, then validated; a file that is missing or
damaged becomes one line in ``problems`` naming the file and the damage, and the rest of
the folder still reads. Predictions and images are read on first use (listings never pay).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import yaml
from pydantic import BaseModel, ValidationError

from fitbench.errors import FitbenchError
from fitbench.runs import _record as r

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T", r.SplitPredictions, r.ImageSet)


class DamagedFile(FitbenchError):
    """A run folder's file is missing, too large or damaged; the message is one line naming it."""


@dataclass
class RunRecord:
    """Everything a view needs about one run, read from its folder alone."""

    path: Path
    config: r.RunConfig
    status: r.Status | None
    metrics: r.Metrics | None
    history: r.History
    environment: r.Environment | None
    findings: r.Findings | None
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def format(self) -> int:
        return self.status.format if self.status else 1

    @cached_property
    def architecture(self) -> r.Architecture:
        """The saved architecture; DamagedFile (one line) when missing or damaged."""
        return _required(self.path / r.ARCHITECTURE, r.Architecture, self.format)

    def predictions(self, split: str) -> r.SplitPredictions:
        """The saved predictions on ``split``; DamagedFile (one line) when absent or damaged."""
        return self._set(r.PREDICTIONS, split, r.SplitPredictions)

    def images(self, name: str) -> r.ImageSet:
        """Saved images: ``train`` (the first ones) or a split's mistakes and top losses."""
        return self._set(r.IMAGES, name, r.ImageSet)

    def _set(self, file: str, name: str, kind: type[T]) -> T:
        cache = self.__dict__.setdefault("_npz", {})
        if file not in cache:
            cache[file] = _read_npz(self.path / file, self.format, self.metrics.classes if self.metrics else None)
        keys = [f"{name}_{field}" for field in kind._fields]
        if not all(key in cache[file] for key in keys):
            raise DamagedFile(f"{file} holds no {name} {'predictions' if file == r.PREDICTIONS else 'images'}")
        return kind(*(cache[file][key] for key in keys))


def read_run(path: str | Path) -> RunRecord:
    """The run folder at ``path`` as a RunRecord; never raises for damage (see ``problems``)."""
    path = Path(path)
    problems: list[str] = []
    config = _optional(path / r.CONFIG, r.RunConfig, problems) or r.RunConfig(name=path.name)
    status = _optional(path / r.STATUS, r.Status, problems)
    finished = status is not None and status.state in ("complete", "interrupted")
    metrics = _optional(path / r.METRICS, r.Metrics, problems if finished else [])
    history = read_history(path / r.HISTORY, problems)
    environment = _optional(path / r.ENVIRONMENT, r.Environment, problems)
    findings = _optional(path / r.FINDINGS, r.Findings, problems if status and status.format >= 2 else [])
    if finished and (problem := model_problem(path / r.MODEL)):
        problems.append(problem)
    return RunRecord(path, config, status, metrics, history, environment, findings, problems)


def _optional(path: Path, model: type[M], problems: list[str]) -> M | None:
    try:
        return parse(path, model)
    except DamagedFile as error:
        problems.append(str(error))
        return None


def _required(path: Path, model: type[M], format: int) -> M:
    if not path.is_file() and format < 2:
        raise DamagedFile(f"{path.name} is missing: this folder was written by fitbench 0.1.0 (format 1), "
                          "which did not save it")
    return parse(path, model)


def parse(path: Path, model: type[M]) -> M:
    """``path`` (JSON or YAML) validated as ``model``; DamagedFile with one line otherwise."""
    data = _load(path, read_bounded(path), yaml_file=path.suffix == ".yaml")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise DamagedFile(f"{path.name} is damaged ({_first_error(error)})") from None


def read_bounded(path: Path) -> bytes:
    """The bytes of ``path``, refused unread when larger than its kind of file may be."""
    try:
        check_size(path)
        return path.read_bytes()
    except FileNotFoundError:
        raise DamagedFile(f"{path.name} is missing") from None
    except OSError as error:
        raise DamagedFile(f"{path.name} cannot be read ({error.strerror})") from None


def check_size(path: Path) -> None:
    limit = r.MAX_BYTES.get(path.name, 1_000_000)
    size = path.stat().st_size
    if size > limit:
        raise DamagedFile(f"{path.name} is too large ({size / 1e6:.1f} MB; a run's is at most {limit / 1e6:.0f} MB)")


def _load(path: Path, raw: bytes, *, yaml_file: bool) -> Any:
    try:
        text = raw.decode("utf-8")
        data = yaml.safe_load(text) if yaml_file else json.loads(text)
    except UnicodeDecodeError:
        raise DamagedFile(f"{path.name} is damaged (not UTF-8 text)") from None
    except json.JSONDecodeError as error:
        raise DamagedFile(f"{path.name} is damaged ({error.msg} at line {error.lineno}, column {error.colno})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise DamagedFile(f"{path.name} is damaged ({problem}{where})") from None
    if not isinstance(data, dict):
        raise DamagedFile(f"{path.name} is damaged (expected a mapping, got {type(data).__name__})")
    return data


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    more = f"; {error.error_count() - 1} more" if error.error_count() > 1 else ""
    return f"{where}: {message}{more}" if where else f"{message}{more}"


def read_history(path: Path, problems: list[str] | None = None) -> r.History:
    """``history.csv``; rows after the first incomplete one (a truncated file) are dropped and noted."""
    try:
        text = read_bounded(path).decode("utf-8")
        rows = list(csv.DictReader(io.StringIO(text)))
    except DamagedFile as error:
        if not str(error).endswith("is missing"):
            _note(problems, str(error))
        return r.History({}, [])
    except (UnicodeDecodeError, csv.Error) as error:
        _note(problems, f"{path.name} is damaged ({error}); no history")
        return r.History({}, [])
    good = _complete_rows(rows[: r.MAX_EPOCHS])
    if len(good) < len(rows):
        _note(problems, f"{path.name} is damaged at epoch row {len(good) + 1} (truncated?); kept {len(good)} epochs")
    keys = [key for key in (rows[0] if rows else {}) if key not in ("epoch", "time_s")]
    return r.History({key: [row[key] for row in good] for key in keys}, [row.get("time_s", 0.0) for row in good])


def _complete_rows(rows: list[dict[str, Any]]) -> list[dict[str, float]]:
    good = []
    for row in rows:
        try:
            good.append({key: float(value) for key, value in row.items()})
        except (TypeError, ValueError):  # a missing cell (None) or a cut-off number
            break
    return good


def _note(problems: list[str] | None, problem: str) -> None:
    if problems is not None:
        problems.append(problem)


def model_problem(path: Path) -> str | None:
    """Whether ``model.keras`` is missing or not a whole zip file (its directory is at the end)."""
    if not path.is_file():
        return f"{path.name} is missing: the trained model is lost"
    try:
        with zipfile.ZipFile(path) as archive:
            archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return f"{path.name} is damaged (not a whole .keras file; truncated?)"
    return None


def _read_npz(path: Path, format: int, classes: int | None) -> dict[str, np.ndarray]:
    """The arrays of ``path``: plain numbers only (no pickles), shapes checked."""
    if not path.is_file() and format < 2:
        raise DamagedFile(f"{path.name} is missing: this folder was written by fitbench 0.1.0 (format 1), "
                          "which did not save it")
    try:
        check_size(path)
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files[:100]}
    except FileNotFoundError:
        raise DamagedFile(f"{path.name} is missing") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DamagedFile(f"{path.name} is damaged ({str(error).splitlines()[0] if str(error) else type(error).__name__})") from None
    problem = _npz_problem(arrays, classes)
    if problem:
        raise DamagedFile(f"{path.name} is damaged ({problem})")
    return arrays


def _npz_problem(arrays: dict[str, np.ndarray], classes: int | None) -> str | None:
    for key, array in arrays.items():
        if array.dtype.kind not in "iuf":
            return f"{key} holds {array.dtype}, not numbers"
        stem = key.rsplit("_", 1)[0]
        labels = arrays.get(f"{stem}_labels")
        if labels is None or len(array) != len(labels):
            return f"{key} does not match {stem}_labels"
        if key.endswith("_probabilities") and (array.ndim != 2 or (classes and array.shape[1] != classes)):
            return f"{key} has shape {array.shape}, expected (n, {classes or 'classes'})"
        if key.endswith(("_labels", "_indices")) and array.ndim != 1:
            return f"{key} has shape {array.shape}, expected (n,)"
        if key.endswith("_labels") and len(array) and not 0 <= int(array.min()) <= int(array.max()) < (classes or r.MAX_CLASSES):
            return f"{key} holds labels outside 0..{(classes or r.MAX_CLASSES) - 1}"
    return None
