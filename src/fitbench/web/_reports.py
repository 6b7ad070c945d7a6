"""Reports and comparisons for the browser, made from checked run files and kept in memory.

A GET never writes into a run folder: the report is drawn from a ``ViewRun`` (a ``SavedRun`` over
the record ``fitbench.runs.read_run`` read) whose folder is a scratch directory in the server's
cache, so the figures ``write_report`` saves land there and are deleted after. A ``ViewRun``
loads neither the model nor the data set: the server runs no code and opens no path that a
run folder names. Pages are cached by the folders' versions, one lock per run set, so one slow
report never holds up another.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fitbench.errors import FitbenchError
from fitbench.runs import RunRecord, SavedRun, read_run
from fitbench.runs._record import ENVIRONMENT, MODEL
from fitbench.web._catalog import RunInfo

CACHED_PAGES = 32  # a page is 0.2 to 1 MB of HTML with its pictures inlined
BACK = '<nav class="back"><a href="/">&larr; all runs</a></nav>'


class ViewRun(SavedRun):
    """A ``SavedRun`` over a record read by ``read_run``, shown at ``shown`` (a SavedRun has no model
    and no data set to load)."""

    def __init__(self, record: RunRecord, shown: Path) -> None:
        super().__init__(record.path, record=record)
        self.path, self._state = shown, record.state  # figures are saved under `shown`, not in the run

    @property
    def state(self) -> str:
        return self._state


def check_reportable(info: RunInfo) -> None:
    """A report of a folder whose scores or curves are damaged, or that holds a link or a
    special file, would mislead: say why instead."""
    harmless = (f"{MODEL} is missing", f"{ENVIRONMENT} ")
    serious = [problem for problem in info.problems if not problem.startswith(harmless)]
    if serious:
        raise FitbenchError(f"{info.name} is damaged: {serious[0]}; no report until it is repaired")


class ReportCache:
    """HTML of reports and comparisons, made on first request and kept while the runs are unchanged."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self._pages: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._locks: dict[tuple[Any, ...], threading.Lock] = {}
        self._guard = threading.Lock()  # guards the two dicts, never held while drawing

    def report(self, info: RunInfo, version: tuple[Any, ...], runs_name: str) -> bytes:
        """The report of one run folder (read only when the page is not cached)."""
        check_reportable(info)
        return self._cached(("report", info.id, version), lambda: self._draw_report(info, runs_name))

    def comparison(self, runs: Sequence[tuple[RunInfo, tuple[Any, ...]]]) -> bytes:
        """The comparison of several run folders, in the order given."""
        for info, _ in runs:
            check_reportable(info)
        key = ("compare", *[(info.id, version) for info, version in runs])
        return self._cached(key, lambda: self._draw_comparison(runs))

    def _cached(self, key: tuple[Any, ...], make: Callable[[], bytes]) -> bytes:
        with self._guard:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # the same page asked twice at once is drawn once
            with self._guard:
                if key in self._pages:
                    return self._pages[key]
            try:
                page = make()
            finally:
                with self._guard:
                    self._locks.pop(key, None)
            with self._guard:
                self._pages[key] = page
                while len(self._pages) > CACHED_PAGES:
                    self._pages.popitem(last=False)
            return page

    def _draw_report(self, info: RunInfo, runs_name: str) -> bytes:
        from fitbench.report import write_report

        self.scratch.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=self.scratch))
        try:
            shown = work / runs_name / info.id  # "runs/<id>" once the scratch prefix is cut
            shown.mkdir(parents=True)
            html = write_report(ViewRun(read_run(info.summary.path), shown), work / "report.html").read_text(encoding="utf-8")
            return _with_back_link(html.replace(f"{work}/", "")).encode("utf-8")
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _draw_comparison(self, runs: Sequence[tuple[RunInfo, tuple[Any, ...]]]) -> bytes:
        from fitbench.report import compare

        self.scratch.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=self.scratch))
        try:
            compared = compare([ViewRun(read_run(info.summary.path), Path(info.id)) for info, _ in runs])  # ids, not paths
            html = compared.to_html(work / "compare.html").read_text(encoding="utf-8")
            return _with_back_link(html).encode("utf-8")
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _with_back_link(html: str) -> str:
    return html.replace("<body>", f"<body>\n{BACK}", 1)
