"""Hypothesis strategies that damage a real run folder, field by field and file by file.

A ``Mutation`` is drawn from the template folder's own files: for each JSON or YAML file, every
path into its data (so every field the record schemas declare, and the template holds) can be
set to a hostile value, deleted or joined by an unknown key; every file can be cut short,
replaced by garbage, emptied, made a link, a folder, or removed; ``history.csv`` gets hostile
cells and headers; cross-file references dangle (a layer input, a class count, an epoch).

The binary files' strategies beyond "missing" (``predictions.npz``, ``images.npz``,
``explanations.npz``, ``model.keras``: read by the ``budget`` helper's reader) run only with
``FITBENCH_FUZZ_BINARY=1``; ``explanations.npz`` also gets values its views must refuse (NaN
maps, checks' numbers out of range, unknown method codes, maps of another size, maps of images
the folder does not keep).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import yaml
from hypothesis import strategies as st

from fitbench.runs import _record as r

STRUCTURED = (r.STATUS, r.CONFIG, r.METRICS, r.ENVIRONMENT, r.ARCHITECTURE, r.FINDINGS)
BINARY = (r.PREDICTIONS, r.IMAGES, r.EXPLANATIONS, r.MODEL)
BINARY_ON = os.environ.get("FITBENCH_FUZZ_BINARY", "1") == "1"  # the npz and .keras bombs: on unless "0"
# Files whose damage the views that load Keras (predict, resume, explain) read.
HEAVY_FILES = {r.CONFIG, r.STATUS, r.MODEL, r.HISTORY, r.IMAGES, r.PREDICTIONS}
HOSTILE_TEXT = [
    "$\\frac{a}$", "$" + "{" * 90 + "}" * 90 + "$", "$x^{$", "\\$", "<script>alert(1)</script>", "</pre><b>",
    "{{ 7*7 }}", "{% raw %}", "\x1b]0;owned\x07", "\x1b[2J\x1b[H", "a\rb", "\x00", "\u202egnp.exe", "=HYPERLINK(\"x\")",
    "../../etc/passwd", "/dev/zero", "csv:/dev/zero", "subprocess:getoutput", "*a", "&a [x]", "%(x)s", "{0}", "\ud7ff",
    "😀" * 50, "\t\t", "", " ", "null", "NaN", "1e999",
]
EXTREME_NUMBERS = [0, -1, 1, 2**31, 2**53 + 1, 2**63, 10**18, -(10**18), 10**19, 10**30, float("nan"), float("inf"),
                   float("-inf"), 1e308, -1e308, 5e-324, -0.0, 0.5, 1.0000001, True, False]


class Mutation(NamedTuple):
    file: str
    kind: str
    detail: Any = None

    def __str__(self) -> str:
        detail = repr(self.detail)
        return f"{self.file}: {self.kind} {detail[:160] + '...' if len(detail) > 160 else detail}"


# --- values -----------------------------------------------------------------------------------

def _repeat(unit: str, times: int) -> str:
    return unit * times


texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(HOSTILE_TEXT),
    st.builds(_repeat, st.sampled_from(["\n", "$", "{", "a", "<b>", "\x1b[1A", "é", "$x$"]), st.integers(100, 30_000)),
)
numbers = st.one_of(st.sampled_from(EXTREME_NUMBERS), st.integers(), st.floats(), st.integers(-(10**40), 10**40))
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
values = st.one_of(
    scalars,
    st.recursive(scalars, lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner,
                                                                                      max_size=6), max_leaves=12),
    st.builds(lambda value, n: [value] * n, st.one_of(st.integers(0, 9), st.sampled_from(["$x$", "a\nb", 0.5])),
              st.integers(500, 60_000)),  # a bomb within the size limits: many small items
    st.builds(lambda n: {f"k{k}": k for k in range(n)}, st.integers(500, 30_000)),
    st.integers(1, 200).map(lambda depth: json.loads("[" * depth + "]" * depth)),  # deep nesting
)


# --- the template's structure -------------------------------------------------------------------

@cache
def _data(template: Path, file: str) -> Any:
    text = (template / file).read_text()
    return yaml.safe_load(text) if file.endswith(".yaml") else json.loads(text)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into ``data``, long lists sampled (their first, second and last items)."""
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index in sorted({0, 1, len(data) - 1} & set(range(len(data)))):
            found += _paths(data[index], (*prefix, index))
    return found


@cache
def paths_of(template: Path, file: str) -> list[tuple[Any, ...]]:
    return _paths(_data(template, file))


# --- strategies ---------------------------------------------------------------------------------

@st.composite
def structured(draw: st.DrawFn, template: Path) -> Mutation:
    file = draw(st.sampled_from(STRUCTURED))
    kind = draw(st.sampled_from(["set", "set", "set", "delete", "add", "root"]))
    if kind == "root":
        return Mutation(file, "root", draw(values))
    if kind == "add":
        return Mutation(file, "add", (draw(st.text(max_size=20)), draw(values)))
    path = draw(st.sampled_from(paths_of(template, file)))
    return Mutation(file, kind, (path, draw(values)) if kind == "set" else path)


@st.composite
def raw(draw: st.DrawFn) -> Mutation:
    files = (*STRUCTURED, r.HISTORY, *(BINARY if BINARY_ON else ()))
    file = draw(st.sampled_from(files))
    kind = draw(st.sampled_from(["truncate", "garbage", "empty", "not-utf8", "link", "folder", "missing", "fifo"]))
    detail = {"truncate": st.floats(0, 1), "garbage": st.binary(min_size=1, max_size=2000)}.get(kind, st.none())
    return Mutation(file, kind, draw(detail))


@st.composite
def history(draw: st.DrawFn) -> Mutation:
    kind = draw(st.sampled_from(["cell", "header", "rows", "columns"]))
    if kind == "cell":
        cell = draw(st.one_of(numbers.map(str), texts, st.just("")))
        return Mutation(r.HISTORY, "cell", (draw(st.integers(0, 10)), draw(st.integers(0, 10)), cell))
    if kind == "header":
        return Mutation(r.HISTORY, "header", draw(st.lists(st.one_of(texts, st.sampled_from(
            ["epoch", "time_s", "loss", "val_loss", "accuracy", "val_accuracy"])), max_size=8)))
    if kind == "rows":
        return Mutation(r.HISTORY, "rows", draw(st.integers(0, 120_000)))
    return Mutation(r.HISTORY, "columns", draw(st.integers(0, 200)))


@st.composite
def dangling(draw: st.DrawFn) -> Mutation:
    """References between files and within one that point nowhere."""
    kind = draw(st.sampled_from(["layer-input", "classes", "class-names", "best-epoch", "state"]))
    if kind == "layer-input":
        return Mutation(r.ARCHITECTURE, kind, draw(st.one_of(texts, st.just("ghost"))))
    if kind == "classes":
        return Mutation(r.METRICS, kind, draw(st.integers(1, r.MAX_CLASSES + 5)))
    if kind == "class-names":
        return Mutation(r.CONFIG, kind, draw(st.lists(texts, max_size=20)))
    if kind == "best-epoch":
        return Mutation(r.METRICS, kind, draw(st.integers(-3, 10**6)))
    return Mutation(r.STATUS, kind, draw(st.sampled_from(["running", "interrupted", "failed", "incomplete", "complete"])))


@st.composite
def binary(draw: st.DrawFn) -> Mutation:
    """Damage inside the npz and .keras files (their reader is the ``budget`` helper's)."""
    file = draw(st.sampled_from(BINARY))
    if file == r.EXPLANATIONS and draw(st.booleans()):
        return Mutation(file, "maps-" + draw(st.sampled_from(list(MAPS_DAMAGE))), draw(st.sampled_from(["val", "test"])))
    if file == r.MODEL:
        return Mutation(file, "keras-config", (draw(st.sampled_from(["units", "filters", "batch_shape"])),
                                               draw(st.sampled_from([10**6, 10**9, -1, 0, "x", [10**5] * 3]))))
    member = draw(st.sampled_from(["zeros", "dtype", "shape", "object", "extra", "not-npy"]))
    return Mutation(file, "npz-" + member, draw(st.integers(0, 3)))


# explanations.npz: one split's field replaced by values the views must not draw from
MAPS_DAMAGE = {
    "nan": ("maps", lambda a: np.full_like(a, np.nan)),
    "range": ("spearman", lambda a: a + 3.0),
    "drop": ("top_drop", lambda a: np.full_like(a, -np.inf)),
    "method": ("method", lambda a: a + 9),
    "size": ("maps", lambda a: np.ones((len(a), 3, 5), np.float32)),
    "flat": ("maps", lambda a: a.reshape(len(a), -1)),
    "indices": ("indices", lambda a: a + 10**6),  # images the folder does not keep
    "labels": ("labels", lambda a: a + 10**4),
    "fewer": ("spearman", lambda a: a[:-1]),
}


def mutations(template: Path) -> st.SearchStrategy[list[Mutation]]:
    """One to three mutations of a folder like ``template``."""
    kinds = [structured(template), structured(template), raw(), history(), dangling()]
    kinds += [binary()] if BINARY_ON else [st.sampled_from(BINARY).map(lambda file: Mutation(file, "missing"))]
    return st.lists(st.one_of(kinds), min_size=1, max_size=3)


# --- applying them ------------------------------------------------------------------------------

def apply(folder: Path, mutation: Mutation) -> None:
    path = folder / mutation.file
    if mutation.kind in ("set", "delete", "add", "root", "layer-input", "classes", "class-names", "best-epoch",
                         "state"):
        _edit(path, mutation)
    elif mutation.file == r.HISTORY and mutation.kind in ("cell", "header", "rows", "columns"):
        _history(path, mutation)
    elif mutation.kind.startswith(("npz-", "keras-")):
        _binary(path, mutation)
    elif mutation.kind.startswith("maps-"):
        _maps(path, mutation)
    else:
        _raw(path, mutation)


def _load(path: Path) -> Any:
    if not path.is_file() or path.is_symlink():
        return None
    try:
        text = path.read_text()
        return yaml.safe_load(text) if path.suffix == ".yaml" else json.loads(text)
    except (ValueError, yaml.YAMLError):
        return None  # an earlier mutation broke it: nothing to edit


def _store(path: Path, data: Any) -> None:
    _remove(path)
    text = yaml.safe_dump(data, allow_unicode=True) if path.suffix == ".yaml" else json.dumps(data)
    path.write_text(text)


def _edit(path: Path, mutation: Mutation) -> None:
    data = _load(path)
    if mutation.kind == "root":
        _store(path, mutation.detail)
        return
    if not isinstance(data, dict):
        return
    kind, detail = mutation.kind, mutation.detail
    if kind == "add":
        data[detail[0]] = detail[1]
    elif kind in ("set", "delete"):
        where = detail[0] if kind == "set" else detail
        parent = _walk(data, where[:-1])
        if parent is None or not _has(parent, where[-1]):
            return
        if kind == "set":
            parent[where[-1]] = detail[1]
        else:
            del parent[where[-1]]
    else:
        _dangle(data, kind, detail)
    _store(path, data)


def _walk(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        if not _has(data, part):
            return None
        data = data[part]
    return data if isinstance(data, (dict, list)) else None


def _has(container: Any, key: Any) -> bool:
    if isinstance(container, dict):
        return key in container
    return isinstance(container, list) and isinstance(key, int) and -len(container) <= key < len(container)


def _dangle(data: dict[str, Any], kind: str, detail: Any) -> None:
    if kind == "layer-input" and isinstance(data.get("nodes"), list) and data["nodes"]:
        node = data["nodes"][-1]
        if isinstance(node, dict):
            node["inputs"] = [*(node.get("inputs") or []), detail]
    elif kind == "classes":
        for scores in (data.get("splits") or {}).values():
            if isinstance(scores, dict):
                scores["confusion_matrix"] = [[0] * detail for _ in range(detail)]
                scores["confusion_matrix"][0][0] = scores.get("n", 0)
                scores["per_class_f1"] = [0.5] * detail
                scores.pop("per_class_precision", None)
                scores.pop("per_class_recall", None)
    elif kind == "class-names":
        data.setdefault("dataset", {})["class_names"] = detail
    elif kind == "best-epoch":
        data["best_epoch"] = detail
    elif kind == "state":
        data["state"] = detail


def _history(path: Path, mutation: Mutation) -> None:
    if not path.is_file() or path.is_symlink():
        return
    try:
        rows = [line.split(",") for line in path.read_text().splitlines()]
    except UnicodeDecodeError:
        return  # an earlier mutation made it not UTF-8: no cells to edit
    if not rows:
        return
    kind, detail = mutation.kind, mutation.detail
    if kind == "cell":
        row, column, cell = detail
        if row < len(rows) and column < len(rows[row]):
            rows[row][column] = cell.replace(",", ";").replace("\n", " ")
    elif kind == "header":
        rows[0] = [cell.replace(",", ";").replace("\n", " ") for cell in detail]
    elif kind == "rows":  # many epochs within the size limit
        rows += [rows[-1]] * min(detail, 20_000_000 // (len(",".join(rows[-1])) + 1))
    else:
        rows = [row + [str(k) for k in range(detail)] for row in rows]
        rows[0] = rows[0][: -detail or None] + [f"m{k}" for k in range(detail)]
    _remove(path)
    path.write_text("\n".join(",".join(row) for row in rows) + "\n")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()


def _raw(path: Path, mutation: Mutation) -> None:
    kind, detail = mutation.kind, mutation.detail
    original = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
    _remove(path)
    if kind == "missing":
        return
    if kind == "link":
        os.symlink(r.METRICS if path.name != r.METRICS else r.CONFIG, path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "truncate":
        path.write_bytes(original[: int(len(original) * detail)])
    elif kind == "not-utf8":
        path.write_bytes(b"\xff\xfe" + original)
    else:
        path.write_bytes(detail if kind == "garbage" else b"")


def _maps(path: Path, mutation: Mutation) -> None:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):  # EOFError: an emptied file
        return  # an earlier mutation broke it (or made it a link, a folder, a FIFO)
    field, damage = MAPS_DAMAGE[mutation.kind.removeprefix("maps-")]
    key = f"{mutation.detail}_{field}"
    if key in arrays:
        arrays[key] = damage(arrays[key])
        _remove(path)
        np.savez_compressed(path, **arrays)


def _binary(path: Path, mutation: Mutation) -> None:
    if not path.is_file() or path.is_symlink():
        return
    if mutation.kind == "keras-config":
        key, value = mutation.detail
        with zipfile.ZipFile(path) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        config = members.get("config.json", b"{}").decode()
        members["config.json"] = config.replace(f'"{key}": ', f'"{key}": {json.dumps(value)}, "_was": ').encode()
        _remove(path)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        return
    extra: dict[str, bytes] = {}
    try:
        with np.load(path, allow_pickle=False) as archive:
            members = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):  # EOFError: an emptied file
        return  # an earlier mutation broke it: nothing to edit
    arrays = {key: value for key, value in members.items() if isinstance(value, np.ndarray)}
    extra.update({key: value for key, value in members.items() if isinstance(value, bytes)})  # an earlier non-.npy member
    if not arrays:
        return
    key = sorted(arrays)[mutation.detail % len(arrays)]
    member = mutation.kind.removeprefix("npz-")
    if member == "zeros":
        arrays[key] = np.zeros((60_000, 1000), np.uint8)  # 60 MB of zeros, a few hundred kB compressed
    elif member == "dtype":
        arrays[key] = arrays[key].astype(np.complex64)
    elif member == "shape":
        arrays[key] = arrays[key].reshape(-1)[:, None, None]
    elif member == "object":
        arrays[key] = np.array([{"x": 1}], dtype=object)
    elif member == "extra":
        arrays["stray_labels"] = np.arange(5)
    else:
        extra["readme.txt"] = b"not an array"
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    _remove(path)
    path.write_bytes(buffer.getvalue())
    if extra:
        with zipfile.ZipFile(path, "a") as archive:
            for name, data in extra.items():
                archive.writestr(name, data)
