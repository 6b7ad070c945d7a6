"""A report's pictures, drawn once: ``<run>/figures/<name>.png``, with ``figures/index.json``
naming what each was drawn from, so the next report of an unchanged run reuses them.

A picture's key is a digest of the numbers it is drawn from (computed from the run's saved
files) and of the drawing code; its entry also holds the PNG's own digest, so a picture
replaced or damaged since, or an index written by a concurrent report, is redrawn rather than
trusted. The cache is only ever an optimisation: any problem reading it means drawing again.
Only the one who writes the report writes here; a view that must not write into the folder
(the web page) points the store at a scratch folder instead.
"""

from __future__ import annotations

import functools
import hashlib
import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel

from fitbench import _io, plots
from fitbench.report._html import data_uri
from fitbench.runs._files import DamagedFile, read_file

INDEX = "index.json"
MAX_INDEX_BYTES = 100_000
MAX_PNG_BYTES = 20_000_000


class Picture(NamedTuple):
    caption: str
    uri: str  # data:image/png;base64,...


class Drawn(BaseModel):
    key: str  # digest of the numbers and the drawing code
    png: str  # digest of the PNG file written


class Index(BaseModel):
    figures: dict[str, Drawn] = {}


class FigureStore:
    """Turns numbers into embedded pictures, saving each as ``<folder>/<name>.png``; pictures
    whose numbers and drawing code are unchanged are read back instead of drawn."""

    def __init__(self, folder: Path, reuse: Path | None = None) -> None:
        """``reuse``: another folder of saved pictures, read but never written (the run's own
        figures/, for a view that saves its pictures elsewhere: the web page)."""
        self.folder = folder
        self.problem: str | None = None
        self._index = _read_index(folder / INDEX)
        self._sources = [(folder, self._index), *([(reuse, _read_index(reuse / INDEX))] if reuse else [])]

    def picture(self, name: str, caption: str, plot: Callable[[Any], Any], numbers: Any) -> Picture:
        """``plot(numbers)`` as a picture (a Figure, or an Axes on one), or its saved PNG."""
        key = picture_key(plot, numbers)
        png = self._saved(name, key)
        if png is None:
            drawn = plot(numbers)
            png = plots.png_bytes(drawn if hasattr(drawn, "savefig") else drawn.figure)
            self._save(name, png, key)
        return Picture(caption, data_uri(png))

    def _saved(self, name: str, key: str) -> bytes | None:
        for folder, index in self._sources:
            entry = index.figures.get(name)
            if entry is None or entry.key != key:
                continue
            try:
                png = read_file(folder / f"{name}.png", MAX_PNG_BYTES)  # no link followed, no FIFO opened
            except (OSError, DamagedFile):
                continue
            if png is not None and _digest(png) == entry.png:
                return png
        return None

    def _save(self, name: str, png: bytes, key: str) -> None:
        if self.problem:
            return
        try:
            self.folder.mkdir(exist_ok=True)
            _io.atomic_write(self.folder / f"{name}.png", lambda tmp: tmp.write_bytes(png))
            self._index.figures[name] = Drawn(key=key, png=_digest(png))
            _io.atomic_write(self.folder / INDEX, lambda tmp: tmp.write_text(self._index.model_dump_json(indent=1)))
        except OSError as error:  # a read-only run folder still gets its report elsewhere
            self.problem = f"figures not saved in {self.folder}: {error.strerror}"


def picture_key(plot: Callable[[Any], Any], numbers: Any) -> str:
    """Digest of what a picture shows: the drawing function, its code, and the numbers."""
    # pickle writes arrays' dtype, shape and bytes in full (repr would abbreviate them); it is
    # only hashed here, never loaded.
    drawn = pickle.dumps((_drawing_code(), plot.__module__, plot.__qualname__, numbers), protocol=4)
    return _digest(drawn)


@functools.cache
def _drawing_code() -> str:
    """Digest of the plots package's source: a change to how pictures are drawn redraws them."""
    sources = sorted(Path(plots.__file__).parent.glob("*.py"))
    return _digest(b"".join(path.read_bytes() for path in sources))


def _read_index(path: Path) -> Index:
    try:
        data = read_file(path, MAX_INDEX_BYTES)  # no link followed, no FIFO opened
        return Index.model_validate(json.loads(data)) if data is not None else Index()
    except (OSError, ValueError, DamagedFile):  # damaged (ValidationError is a ValueError): draw again
        return Index()


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
