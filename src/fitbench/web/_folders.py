"""One run folder read as untrusted input: found without leaving the runs directory, each file
bounded, parsed and checked against the shape the pages use.

Every file is opened with ``O_NOFOLLOW`` (a symlinked file is damage, never a redirect) and
must be a regular file under its size limit. Anything missing, truncated, mistyped or too big
becomes one line naming the file in ``Folder.problems``; the folder is still listed, and so is
every other. Nothing here imports code, opens a path written inside a file, or writes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fitbench.errors import FitbenchError
from fitbench.runs import _folder
from fitbench.runs import _record as record
from fitbench.runs._lock import LOCK

CONFIG, HISTORY, METRICS, MODEL, ENVIRONMENT, STATUS = (
    _folder.CONFIG, _folder.HISTORY, _folder.METRICS, _folder.MODEL, _folder.ENVIRONMENT, _folder.STATUS)
KIB = 1024
# A `first` run's files are a few kB; these limits leave room for 10,000 epochs and 100 classes.
LIMITS = {CONFIG: 256 * KIB, STATUS: 64 * KIB, METRICS: 2048 * KIB, HISTORY: 1024 * KIB, ENVIRONMENT: 256 * KIB}
MAX_CLASSES = 62  # EMNIST by class, the most of any MNIST-like set: its report draws in ~25 s, a 300x300 matrix took 283 s
MAX_EPOCHS = 10_000
MAX_COLUMNS = 64  # history.csv: epoch, time_s and a few metrics for train and validation
MAX_SPLITS = 8
MAX_NODES = 20_000  # values in config.yaml counted through YAML aliases: an anchor bomb is damage
MAX_NESTING = 32
MAX_DEPTH = 4  # runs/<run>, runs/curriculum/<run>, runs/<study>/trials/<run>


class Damaged(FitbenchError):
    """A file of a run folder that cannot be used; ``str()`` names it, in one line."""


# --- finding folders ------------------------------------------------------------------------

def find_folders(root: Path) -> Iterator[os.DirEntry[str]]:
    """The run folders (those holding a ``config.yaml``) under ``root``, never through a symlink.

    A run folder's own subfolders (figures/) are not searched: runs do not nest.
    """
    stack = [(str(root), 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as scan:
                entries = list(scan)
        except OSError:  # removed while we looked, or unreadable: nothing to list there
            continue
        for entry in entries:
            if entry.name.startswith(".") or not _is_real_dir(entry):
                continue
            if _holds_config(entry.path):
                yield entry
            elif depth + 1 < MAX_DEPTH:
                stack.append((entry.path, depth + 1))


def _is_real_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _holds_config(folder: str) -> bool:
    try:
        os.lstat(os.path.join(folder, CONFIG))  # a symlinked config.yaml still marks a (damaged) run
    except OSError:
        return False
    return True


def inside(root: Path, run_id: str) -> Path | None:
    """``root/run_id`` when it is a real folder under ``root`` reached through no symlink, else None."""
    if not run_id or "\\" in run_id or "\0" in run_id or run_id.startswith("/"):
        return None
    parts = run_id.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts) or len(parts) > MAX_DEPTH:
        return None
    path = root.joinpath(*parts)
    if os.path.realpath(path) != str(path) or not path.is_dir() or not _holds_config(str(path)):
        return None  # realpath differs: a symlink on the way
    return path


# --- reading files --------------------------------------------------------------------------

def read_bytes(folder: Path, name: str, limit: int) -> bytes | None:
    """The bytes of ``folder/name``, None when missing; ``Damaged`` for a link, a non-file or too much."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK  # NONBLOCK: a FIFO planted there does not hang us
    try:
        handle = os.open(folder / name, flags)
    except FileNotFoundError:
        return None
    except OSError as error:
        if os.path.islink(folder / name):  # ELOOP from O_NOFOLLOW
            raise Damaged(f"{name} is a symbolic link (not followed)") from None
        raise Damaged(f"{name} cannot be read ({error.strerror})") from None
    with os.fdopen(handle, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise Damaged(f"{name} is not a regular file")
        if info.st_size > limit:
            raise Damaged(f"{name} is too large ({info.st_size:,} bytes; at most {limit:,})")
        data = file.read(limit + 1)
    if len(data) > limit:
        raise Damaged(f"{name} is too large (over {limit:,} bytes)")
    return data


def _text(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Damaged(f"{name} is not UTF-8 text (byte {error.start})") from None


def _json(name: str, data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(_text(name, data))
    except (ValueError, RecursionError) as error:
        raise Damaged(f"{name} is damaged ({_first_line(error)})") from None
    if not isinstance(value, dict):
        raise Damaged(f"{name} is damaged (expected a JSON object, got {type(value).__name__})")
    return value


def _yaml(name: str, data: bytes) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10x faster on 500 folders
    try:
        value = yaml.load(_text(name, data), Loader=loader)  # noqa: S506  a safe loader
    except yaml.MarkedYAMLError as error:
        where = f" at line {error.problem_mark.line + 1}" if error.problem_mark else ""
        raise Damaged(f"{name} is damaged ({error.problem or error.context}{where})") from None
    except (yaml.YAMLError, RecursionError, ValueError) as error:
        raise Damaged(f"{name} is damaged ({_first_line(error)})") from None
    if not isinstance(value, dict):
        raise Damaged(f"{name} is damaged (expected a mapping of settings)")
    _check_size(name, value)
    return value


def _check_size(name: str, value: Any) -> None:
    """Counts values as a view would walk them, aliases expanded: bounded, never a bomb."""
    count, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > MAX_NODES or depth > MAX_NESTING:
            raise Damaged(f"{name} is too large or too deeply nested (YAML aliases?)")
        if isinstance(item, dict):
            stack += [(child, depth + 1) for pair in item.items() for child in pair]
        elif isinstance(item, list):
            stack += [(child, depth + 1) for child in item]


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:200]


# --- the shapes the pages use ---------------------------------------------------------------



class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Section(_Open):
    pass


class DatasetSection(_Open):
    name: str | None = None
    normalize: bool = True
    input_shape: list[Annotated[int, Field(ge=1, le=4096)]] | None = Field(default=None, max_length=4)
    num_classes: int | None = Field(default=None, ge=1, le=MAX_CLASSES)


class ModelSection(_Open):
    zoo: str | None = None
    factory: str | None = None
    layers: list[str | dict[str, Any]] | None = None


class Config(_Open):
    name: str | int | None = None
    dataset: DatasetSection = DatasetSection()  # pydantic copies defaults: no instance is shared
    model: ModelSection = ModelSection()
    training: Section = Section()


class Status(_Open):
    state: str

    @field_validator("state")
    @classmethod
    def _known(cls, state: str) -> str:
        if state not in _folder.STATES:
            raise ValueError(f"must be one of {', '.join(_folder.STATES)}")
        return state


class Environment(_Open):
    packages: dict[str, str | None] = Field(default_factory=dict)
    devices: list[str] = Field(default_factory=list)
    backend: str | None = None


def _checked(name: str, shape: type[BaseModel], value: dict[str, Any]) -> dict[str, Any]:
    try:
        return shape.model_validate(value).model_dump(mode="json", exclude_unset=True)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "top level"
        raise Damaged(f"{name}: {where}: {first['msg'][:120]}") from None


def _metrics(name: str, data: bytes) -> dict[str, Any]:
    """``metrics.json`` checked by the run format's own model, then against what a page can draw."""
    metrics = _checked(name, record.Metrics, _json(name, data))
    classes = max((len(split["confusion_matrix"]) for split in metrics.get("splits", {}).values()), default=0)
    if classes > MAX_CLASSES:  # a heatmap of 100 classes took 76 s to draw, one of 300 took 283 s
        raise Damaged(f"{name}: {classes} classes; the web page draws at most {MAX_CLASSES}")
    return metrics


def _history(name: str, data: bytes) -> tuple[dict[str, list[float]], list[float]]:
    """``history.csv`` as Keras-style ``{key: per-epoch values}`` and the seconds of each epoch."""
    rows = list(csv.reader(io.StringIO(_text(name, data))))
    if not rows:
        return {}, []
    columns, rows = rows[0], rows[1:]
    if len(columns) > MAX_COLUMNS:
        raise Damaged(f"{name} has {len(columns):,} columns; at most {MAX_COLUMNS} are read")
    for needed in ("epoch", "time_s"):
        if needed not in columns:
            raise Damaged(f"{name} has no {needed} column")
    if len(rows) > MAX_EPOCHS:
        raise Damaged(f"{name} has {len(rows):,} epochs; at most {MAX_EPOCHS:,} are read")
    values: dict[str, list[float]] = {column: [] for column in columns}
    for number, row in enumerate(rows, start=1):
        if len(row) != len(columns):
            raise Damaged(f"{name} is damaged at epoch row {number} ({len(row)} of {len(columns)} cells; truncated?)")
        try:
            for column, cell in zip(columns, row, strict=True):
                values[column].append(float(cell))
        except ValueError:
            raise Damaged(f"{name} is damaged at epoch row {number} (not a number)") from None
    times = values.pop("time_s")
    values.pop("epoch")
    return values, times


# --- one folder -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Folder:
    """What the pages know of one run folder; damaged files are empty, with their reason in ``problems``."""

    path: Path
    state: str
    config: dict[str, Any] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)
    epoch_times: list[float] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    has_model: bool = False  # model.keras is a regular file, not a link

    @property
    def name(self) -> str:
        return str(self.config.get("name") or self.path.name)


def read_folder(path: Path) -> Folder:
    """Every file of the run folder ``path``, checked; never raises for what is inside it."""
    problems: list[str] = []

    def part(name: str, parse: Any, shape: type[BaseModel] | None = None) -> Any:
        try:
            data = read_bytes(path, name, LIMITS[name])
            if data is None:
                return None
            value = parse(name, data)
            return _checked(name, shape, value) if shape else value
        except Damaged as error:
            problems.append(str(error))
            return None

    def missing(name: str, why: str = "") -> None:
        if not any(problem.startswith(name) for problem in problems):  # not already damaged
            problems.append(f"{name} is missing{why}")

    problems += _strangers(path)
    config = part(CONFIG, _yaml, Config)
    if config is None:
        missing(CONFIG)
    status = part(STATUS, _json, Status)
    if status is None:
        missing(STATUS, " (the run was killed before it started?)")
    state = _state(path, status)
    metrics = part(METRICS, _metrics)
    if metrics is None and state in ("complete", "interrupted"):
        missing(METRICS)
    history, times = part(HISTORY, _history) or ({}, [])
    environment = part(ENVIRONMENT, _json, Environment)
    has_model = _regular(path / MODEL)
    if state in ("complete", "interrupted") and not has_model:
        problems.append(f"{MODEL} is missing or not a regular file: the trained model is not there")
    return Folder(path, state, config or {}, status or {}, metrics or {}, history, times, environment or {},
                  tuple(dict.fromkeys(problems)), has_model)  # a link is found twice: said once


def _strangers(path: Path) -> list[str]:
    """A line for every entry of the folder that is a symlink or neither a file nor a folder:
    the views' reader follows paths, so such a folder is not handed to it."""
    found = []
    try:
        with os.scandir(path) as scan:
            for entry in scan:
                if entry.is_symlink():
                    found.append(f"{entry.name} is a symbolic link (not followed)")
                elif not (entry.is_file(follow_symlinks=False) or entry.is_dir(follow_symlinks=False)):
                    found.append(f"{entry.name} is not a regular file")
    except OSError as error:
        found.append(f"the folder cannot be listed ({error.strerror})")
    return found


def _state(path: Path, status: dict[str, Any] | None) -> str:
    if status is None:
        return "incomplete"
    if status["state"] == "running":  # alive while a process holds its lock (runs/_lock.py)
        # Only a real lock file is asked: opening a FIFO planted as .lock would hang the request.
        return _folder.run_state(path) if _regular(path / LOCK) else "incomplete"
    return str(status["state"])


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False
