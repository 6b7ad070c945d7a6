"""``read_run``: a run folder back as a typed ``RunRecord``, whatever state its files are in.

A folder is untrusted input: each file is opened without following a symlink, must be a
regular file under its size limit (``_files``), and is then parsed with bounds and validated.
A file that is missing or damaged, and any symlink or special file in the folder, becomes one
line in ``problems`` naming the file and the damage; the rest of the folder still reads.
Nothing here imports code or opens a path that a file names. Predictions and images are read
on first use (listings never pay).
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from fitbench.runs import _folder, _json
from fitbench.runs import _record as r
from fitbench.runs._archives import read_npz
from fitbench.runs._budget import NPZ
from fitbench.runs._files import DamagedFile, read_file, strangers
from fitbench.runs._keras_file import model_problem

if TYPE_CHECKING:  # arrays are read on first use (listings never import NumPy)
    import numpy as np

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T", r.SplitPredictions, r.ImageSet, r.ExplanationSet)
MAX_COLUMNS = 64  # history.csv: epoch, time_s and a few metrics for train and validation
MAX_NODES = 20_000  # values in config.yaml counted through YAML aliases: an anchor bomb is damage
MAX_NESTING = 32
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10x faster on 500 folders

__all__ = ["DamagedFile", "RunRecord", "model_problem", "parse", "read_history", "read_run"]


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
    state: str = "incomplete"  # when read: complete, interrupted, failed, running or incomplete
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

    def explanations(self, split: str) -> r.ExplanationSet:
        """Attribution maps of ``split``'s saved images (``fitbench explain RUN`` writes them);
        DamagedFile (one line) when absent or damaged."""
        return self._set(r.EXPLANATIONS, split, r.ExplanationSet)

    def kept(self, file: str) -> set[str]:
        """The names of the sets ``file`` (an ``.npz`` of the folder) keeps: ``{"train", "val", ...}``;
        DamagedFile (one line) when it is missing or damaged."""
        return {key.split("_", 1)[0] for key in self._arrays(file)}

    def _arrays(self, file: str) -> dict[str, np.ndarray]:
        cache = self.__dict__.setdefault("_npz", {})
        if file not in cache:
            cache[file] = _read_npz(self.path / file, self.format, self.metrics.classes if self.metrics else None)
        return cache[file]

    def _set(self, file: str, name: str, kind: type[T]) -> T:
        arrays = self._arrays(file)
        keys = [f"{name}_{field}" for field in kind._fields]
        if not all(key in arrays for key in keys):
            raise DamagedFile(f"{file} holds no {name} {_HELD[file]}")
        return kind(*(arrays[key] for key in keys))


_HELD = {r.PREDICTIONS: "predictions", r.IMAGES: "images", r.EXPLANATIONS: "attribution maps"}


def read_run(path: str | Path) -> RunRecord:
    """The run folder at ``path`` as a RunRecord; never raises for damage (see ``problems``)."""
    path = Path(path)
    problems = strangers(path)
    config = _optional(path / r.CONFIG, r.RunConfig, problems) or r.RunConfig(name=path.name)
    status = _optional(path / r.STATUS, r.Status, problems)
    finished = status is not None and status.state in ("complete", "interrupted")
    metrics = _optional(path / r.METRICS, r.Metrics, problems if finished else [])
    history = read_history(path / r.HISTORY, problems)
    # environment.json is a note for people that no view needs: only its damage is a problem
    present = os.path.lexists(path / r.ENVIRONMENT)
    environment = _optional(path / r.ENVIRONMENT, r.Environment, problems if present else [])
    findings = _optional(path / r.FINDINGS, r.Findings, problems if status and status.format >= 2 else [])
    if finished and (problem := model_problem(path / r.MODEL)):
        problems.append(problem)
    state = _folder.state_of(path, status.state if status else None)
    problems = list(dict.fromkeys(problems))  # a symlinked file is found twice: said once
    return RunRecord(path, config, status, metrics, history, environment, findings, state, problems)


def _optional(path: Path, model: type[M], problems: list[str]) -> M | None:
    try:
        return parse(path, model)
    except DamagedFile as error:
        problems.append(str(error))
        return None


def _required(path: Path, model: type[M], format: int) -> M:
    if format < 2 and not os.path.lexists(path):
        raise DamagedFile(_not_in_format_1(path))
    return parse(path, model)


def _not_in_format_1(path: Path) -> str:
    return f"{path.name} is missing: this folder was written by fitbench 0.1.0 (format 1), which did not save it"


def parse(path: Path, model: type[M]) -> M:
    """``path`` (JSON or YAML) validated as ``model``; DamagedFile with one line otherwise."""
    data = _load(path, read_bounded(path), yaml_file=path.suffix == ".yaml")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise DamagedFile(f"{path.name} is damaged ({_first_error(error)})") from None


def read_bounded(path: Path) -> bytes:
    """The bytes of ``path``, refused unread when it is a link, not a regular file, or larger
    than its kind of file may be."""
    data = read_file(path, r.MAX_BYTES.get(path.name, 1_000_000))
    if data is None:
        raise DamagedFile(f"{path.name} is missing")
    return data


def _text(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DamagedFile(f"{path.name} is not UTF-8 text (byte {error.start})") from None


def _load(path: Path, raw: bytes, *, yaml_file: bool) -> Any:
    text = _text(path, raw)
    try:
        data = (yaml.load(text, Loader=YAML_LOADER) if yaml_file  # noqa: S506  a safe loader
                else _json.loads(text, parse_int=_bounded_int))
    except RecursionError:
        raise DamagedFile(f"{path.name} is damaged (nested too deeply)") from None
    except json.JSONDecodeError as error:
        raise DamagedFile(f"{path.name} is damaged ({error.msg} at line {error.lineno}, column {error.colno})") from None
    except ValueError:  # _bounded_int, or YAML's int() past Python's 4,300 digits
        raise DamagedFile(f"{path.name} is damaged ({_TOO_LARGE})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise DamagedFile(f"{path.name} is damaged ({problem}{where})") from None
    if not isinstance(data, dict):
        raise DamagedFile(f"{path.name} is damaged (expected a mapping, got {type(data).__name__})")
    if yaml_file:
        _check_nodes(path, data)
    return data


_TOO_LARGE = f"a number of more than {len(str(r.MAX_NUMBER))} digits"


def _bounded_int(digits: str) -> int:
    """An integer of JSON, refused before conversion when longer than any a folder holds (a
    5,000-digit one raised Python's int-to-str limit in every view that printed it)."""
    if len(digits.lstrip("-")) > len(str(r.MAX_NUMBER)):
        raise ValueError(_TOO_LARGE)
    return int(digits)


def _check_nodes(path: Path, value: Any) -> None:
    """Counts values as validation would walk them, aliases expanded: bounded, never a bomb;
    integers are bounded as in JSON."""
    count, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > MAX_NODES or depth > MAX_NESTING:
            raise DamagedFile(f"{path.name} is too large or too deeply nested (YAML aliases?)")
        if isinstance(item, int) and abs(item) > r.MAX_NUMBER * 10:
            raise DamagedFile(f"{path.name} is damaged ({_TOO_LARGE})")
        if isinstance(item, dict):
            stack += [(child, depth + 1) for pair in item.items() for child in pair]
        elif isinstance(item, list):
            stack += [(child, depth + 1) for child in item]


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(_shown(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    more = f"; {error.error_count() - 1} more" if error.error_count() > 1 else ""
    return f"{where}: {message}{more}" if where else f"{message}{more}"


def _shown(part: str | int) -> str:
    """A key of the file as the one-line problem names it: escaped, and short."""
    text = str(part) if str(part).isprintable() else str(part).encode("unicode_escape").decode("ascii")
    return text if len(text) <= 40 else text[:37] + "..."


def read_history(path: Path, problems: list[str] | None = None) -> r.History:
    """``history.csv``; rows after the first incomplete one (a truncated file) are dropped and noted."""
    try:
        data = read_file(path, r.MAX_BYTES[r.HISTORY])
        rows = list(csv.reader(io.StringIO(_text(path, data)))) if data is not None else []
    except DamagedFile as error:
        _note(problems, str(error))
        return r.History({}, [])
    except csv.Error as error:
        _note(problems, f"{path.name} is damaged ({error}); no history")
        return r.History({}, [])
    if not rows:
        return r.History({}, [])
    header, rows = rows[0], rows[1 : r.MAX_EPOCHS + 1]
    if problem := _header_problem(header):
        _note(problems, f"{path.name} {problem}")
        return r.History({}, [])
    good = _complete_rows(header, rows)
    if len(good) < len(rows):
        _note(problems, f"{path.name} is damaged at epoch row {len(good) + 1} (truncated?); kept {len(good)} epochs")
    columns = {key: [row[key] for row in good] for key in header if key not in ("epoch", "time_s")}
    return r.History(columns, [row["time_s"] for row in good])


def _header_problem(header: list[str]) -> str | None:
    if len(header) > MAX_COLUMNS:
        return f"has {len(header):,} columns; at most {MAX_COLUMNS} are read"
    missing = [column for column in ("epoch", "time_s") if column not in header]
    return f"has no {missing[0]} column" if missing else None


def _complete_rows(header: list[str], rows: list[list[str]]) -> list[dict[str, float]]:
    good = []
    for row in rows:
        if len(row) != len(header):  # a missing cell: the file was cut off
            break
        try:
            good.append({key: float(value) for key, value in zip(header, row, strict=True)})
        except ValueError:  # a cut-off number
            break
    return good


def _note(problems: list[str] | None, problem: str) -> None:
    if problems is not None:
        problems.append(problem)


def _read_npz(path: Path, format: int, classes: int | None) -> dict[str, np.ndarray]:
    """The arrays of ``path``: plain numbers only (no pickles), within the budget, shapes checked."""
    try:
        arrays = read_npz(path, NPZ[path.name])
    except FileNotFoundError:
        raise DamagedFile(_not_in_format_1(path) if format < 2 else f"{path.name} is missing") from None
    problem = _npz_problem(arrays, classes) or (_maps_problem(arrays) if path.name == r.EXPLANATIONS else None)
    if problem:
        raise DamagedFile(f"{path.name} is damaged ({problem})")
    return arrays


def _maps_problem(arrays: dict[str, np.ndarray]) -> str | None:
    """What views of ``explanations.npz`` rely on beyond ``_npz_problem``: one finite map per
    image, checks' numbers in their ranges, known method codes."""
    import numpy as np  # arrays were read: NumPy is there

    for key, array in arrays.items():
        if key.endswith("_maps") and array.ndim != 3:
            return f"{key} has shape {array.shape}, expected (n, height, width)"
        if key.endswith(("_spearman", "_top_drop", "_random_drop", "_method")) and array.ndim != 1:
            return f"{key} has shape {array.shape}, expected (n,)"
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            return f"{key} holds NaN or infinite values"
        if key.endswith(("_spearman", "_drop")) and len(array) and np.abs(array).max() > 1:
            return f"{key} holds values outside -1..1"
        if key.endswith("_method") and len(array) and not 0 <= int(array.min()) <= int(array.max()) < len(r.METHODS):
            return f"{key} holds method codes outside 0..{len(r.METHODS) - 1}"
    return None


def _npz_problem(arrays: dict[str, np.ndarray], classes: int | None) -> str | None:
    for key, array in arrays.items():
        if array.dtype.kind not in "iuf":
            return f"{key} holds {array.dtype}, not numbers"
        stem = key.split("_", 1)[0]  # the set's name ("val", "leaks"): fields may hold "_" (top_drop)
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
