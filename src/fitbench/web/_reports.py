"""Reports and comparisons for the browser, made from checked run files and kept in memory.

A GET never writes into a run folder: the report is drawn from a ``ViewRun`` (a ``SavedRun`` over
the record ``fitbench.runs.read_run`` read) whose folder is a scratch directory in the server's
cache, so the figures ``write_report`` saves land there and are deleted after. A ``ViewRun``
loads neither the model nor the data set: the server runs no code and opens no path that a
run folder names.

Drawing happens in a process of its own with a time limit (``_drawers``), a few at a time; pages
are kept by the folders' versions, and so is a drawing that failed or ran out of time.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fitbench.errors import FitbenchError
from fitbench.runs import RunRecord, SavedRun, read_run
from fitbench.runs._record import ENVIRONMENT, MODEL
from fitbench.web._catalog import RunInfo
from fitbench.web._drawers import Drawers
from fitbench.web._isolation import Limits, Outcomes

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
    """HTML of reports and comparisons, drawn on first request and kept while the runs are unchanged."""

    def __init__(self, scratch: Path, limits: Limits = Limits()) -> None:
        self.scratch, self.limits = scratch, limits
        self._drawers = Drawers(limits.draw_memory)
        busy = f"the server is drawing {limits.drawers} other reports; reload this page in a minute"
        # A report's new version replaces its old one; a comparison is its own family.
        self._pages: Outcomes[bytes] = Outcomes(CACHED_PAGES, limits.drawers, busy,
                                                family=lambda key: key[:2] if key[0] == "report" else key)

    async def report(self, info: RunInfo, version: tuple[Any, ...], runs_name: str) -> bytes:
        """The report of one run folder (drawn only when it is not kept)."""
        check_reportable(info)
        args = (str(info.summary.path), info.id, runs_name)
        what = f"the report of {info.name}"
        return await self._pages.get(("report", info.id, version), lambda: self._draw(draw_report, args, what))

    async def comparison(self, runs: Sequence[tuple[RunInfo, tuple[Any, ...]]]) -> bytes:
        """The comparison of several run folders, in the order given."""
        for info, _ in runs:
            check_reportable(info)
        key = ("compare", *[(info.id, version) for info, version in runs])
        args = ([(str(info.summary.path), info.id) for info, _ in runs],)
        what = f"the comparison of {len(runs)} runs"
        return await self._pages.get(key, lambda: self._draw(draw_comparison, args, what))

    def __len__(self) -> int:
        return len(self._pages)

    def close(self) -> None:
        """Kill the drawing processes (the server is stopping: the requests for drawings under way are gone)."""
        self._drawers.close()

    def _draw(self, draw: Callable[..., bytes], args: tuple[Any, ...], what: str) -> bytes:
        """``draw(*args, work)`` in a drawing process; ``work`` is a scratch folder removed after,
        even when the process was killed."""
        self.scratch.mkdir(parents=True, exist_ok=True)
        work = tempfile.mkdtemp(dir=self.scratch)
        try:
            return self._drawers.call(draw, (*args, work), self.limits.draw_s, what)
        finally:
            shutil.rmtree(work, ignore_errors=True)


# --- in the drawing process -------------------------------------------------------------------

def draw_report(folder: str, run_id: str, runs_name: str, work: str) -> bytes:
    """The report page of the run folder ``folder``, its figures drawn under ``work``."""
    from fitbench.report import write_report

    shown = Path(work) / runs_name / run_id  # "runs/<id>" once the scratch prefix is cut
    shown.mkdir(parents=True)
    html = write_report(ViewRun(read_run(Path(folder)), shown), Path(work) / "report.html").read_text(encoding="utf-8")
    return _with_back_link(html.replace(f"{work}/", "")).encode("utf-8")


def draw_comparison(runs: list[tuple[str, str]], work: str) -> bytes:
    """The comparison page of the run folders ``runs`` (folder, id), in that order."""
    from fitbench.report import compare

    compared = compare([ViewRun(read_run(Path(folder)), Path(run_id)) for folder, run_id in runs])  # ids, not paths
    html = compared.to_html(Path(work) / "compare.html").read_text(encoding="utf-8")
    return _with_back_link(html).encode("utf-8")


def _with_back_link(html: str) -> str:
    return html.replace("<body>", f"<body>\n{BACK}", 1)
