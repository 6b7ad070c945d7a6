"""Reports and comparisons for the browser: made by ``fitbench.report`` on demand, cached by mtime.

A cached file is named after the run folders and the mtimes of the files a report reads, so
it is reused until a run changes (a resumed run, a new epoch) and then made again.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from fitbench.runs._record import FILES

# What a report is made from (every declared file of the folder); figures/ and report.html are
# its outputs, so they do not count.
SOURCES = tuple(FILES)


class ReportCache:
    """HTML reports and comparisons written into ``folder``, one file per run set and version."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # Reports draw with matplotlib and load models: one at a time, and never twice for one key.
        self._lock = threading.Lock()

    def report(self, path: Path) -> Path:
        """The report of the run folder ``path`` (made now if missing or out of date)."""
        from fitbench.report import write_report
        from fitbench.runs import load_run

        return self._cached("report", [path], lambda target: write_report(load_run(path), target))

    def comparison(self, paths: Sequence[Path]) -> Path:
        """The comparison of several run folders, in the order given."""
        from fitbench.report import compare

        return self._cached("compare", paths, lambda target: compare(list(paths)).to_html(target))

    def _cached(self, kind: str, paths: Sequence[Path], make: Callable[[Path], object]) -> Path:
        which = _digest("\n".join(str(path) for path in paths))
        target = self.folder / f"{kind}-{which}-{_digest(''.join(_version(path) for path in paths))}.html"
        with self._lock:
            if not target.is_file():
                for stale in self.folder.glob(f"{kind}-{which}-*.html"):  # older versions of the same runs
                    stale.unlink(missing_ok=True)
                make(target)
            return target


def _version(path: Path) -> str:
    """The mtimes and sizes of a run's source files: changes whenever the run does."""
    stamps = []
    for name in SOURCES:
        try:
            info = (path / name).stat()
            stamps.append(f"{name}:{info.st_mtime_ns}:{info.st_size}")
        except OSError:
            stamps.append(f"{name}:-")
    return ";".join(stamps)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
