"""The fuzzer's child: runs every view on one run folder at a time and reports how each went.

Started by ``tests/runs/test_folder_fuzz.py`` as ``python -m tests.runs.fuzz_worker RUNS_DIR FD CAP``;
it caps its own heap at CAP bytes first (RLIMIT_DATA; JAX reserves address space, so RLIMIT_AS
would not do). It
reads one JSON request a line on stdin (``{"run": NAME, "heavy": bool, "export": bool}``, the
folder being ``RUNS_DIR/NAME`` beside ``RUNS_DIR/good``) and writes one JSON line of results per
request to file descriptor FD: for each view its exit code or HTTP status, its output, a
traceback if it raised, its wall and CPU seconds, and its peak resident memory (the kernel's
high-water mark, reset before each view through ``/proc/self/clear_refs``) and how far that
peak rose above the memory the process held before the view.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

GOOD = "good"  # an untouched copy of the template, which every listing must still show whole


def peak_reset() -> None:
    with open("/proc/self/clear_refs", "w") as file:
        file.write("5")  # resets VmHWM to the current resident size


def memory_mb(field: str) -> float:
    """``VmHWM`` (the peak since the last reset) or ``VmRSS`` (now) of this process, in MB."""
    with open("/proc/self/status") as file:
        line = next(line for line in file if line.startswith(f"{field}:"))
    return int(line.split()[1]) / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measured(view: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    peak_reset()
    resting, started, cpu = memory_mb("VmRSS"), time.monotonic(), cpu_seconds()
    try:
        result = call()
    except BaseException as error:  # noqa: BLE001  a view must never raise: what it raised is the finding
        if isinstance(error, KeyboardInterrupt):
            raise
        result = {"traceback": "".join(traceback.format_exception(error))[-3000:]}
    return {"view": view, **result, "seconds": round(time.monotonic() - started, 3),
            "cpu_seconds": round(cpu_seconds() - cpu, 3), "peak_mb": round(memory_mb("VmHWM")),
            "growth_mb": round(memory_mb("VmHWM") - resting)}


def cli(*argv: str) -> dict[str, Any]:
    """``fitbench ARGV`` as the console script runs it, output captured."""
    from fitbench.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return {"code": code, "out": out.getvalue()[-4000:], "err": err.getvalue()[-4000:]}


class Views:
    def __init__(self, runs: Path) -> None:
        from fastapi.testclient import TestClient

        from fitbench.web import create_app

        self.runs = runs
        self.warm: set[str] = set()
        self.scratch = Path(tempfile.mkdtemp(prefix="fuzz-scratch-"))
        self.web = TestClient(create_app(runs, cache_dir=self.scratch / "cache"), base_url="http://127.0.0.1",
                              raise_server_exceptions=False)
        self.image = self.scratch / "digit.png"
        self._png(self.image)

    @staticmethod
    def _png(path: Path) -> None:
        from PIL import Image

        Image.new("L", (8, 8), 128).save(path)

    def _warm(self, what: str, call: Callable[[], Any]) -> None:
        """Importing Keras or creating MLflow's tables once is the process's cost, not a folder's."""
        if what not in self.warm:
            self.warm.add(what)
            call()

    @staticmethod
    def problems(folder: Path) -> list[str]:
        from fitbench.runs import read_run

        return read_run(folder).problems

    def get(self, url: str) -> dict[str, Any]:
        answer = self.web.get(url)
        return {"status": answer.status_code, "out": answer.text[-2000:] if answer.status_code >= 400 else ""}

    def run(self, name: str, *, heavy: bool, export: bool) -> list[dict[str, Any]]:
        folder, good = self.runs / name, self.runs / GOOD
        output = self.scratch / "out"
        output.mkdir(exist_ok=True)
        views: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("read", lambda: {"problems": self.problems(folder)}),
            ("runs", lambda: cli("runs", "--runs-dir", str(self.runs))),
            ("diagnose", lambda: cli("diagnose", str(folder))),
            ("report", lambda: cli("report", str(folder), "-o", str(output / "report.html"))),
            ("compare", lambda: cli("compare", str(folder), str(good), "-o", str(output / "compare.html"))),
            ("web /", lambda: self.get("/")),
            ("web /api/runs", lambda: self.get("/api/runs")),
            ("web /api/runs/{id}", lambda: self.get(f"/api/runs/{quote(name)}")),
            ("web /report/{id}", lambda: self.get(f"/report/{quote(name)}")),
            ("web /compare", lambda: self.get(f"/compare?run={quote(name)}&run={GOOD}")),
            ("web /draw", lambda: self.get("/draw")),
        ]
        if heavy:  # the views that load the model (Keras) or train on
            self._warm("keras", lambda: cli("predict", str(good), str(self.image), "-o", str(output / "p.csv")))
            self._warm("explain", lambda: cli("explain", str(good), "--steps", "4"))  # its first compile
            views += [("predict", lambda: cli("predict", str(folder), str(self.image), "-o", str(output / "p.csv"))),
                      ("explain", lambda: cli("explain", str(folder), "--steps", "4")),
                      ("resume", lambda: cli("train", "--resume", str(folder), "--quiet", "--no-report"))]
        if export:
            uri = f"sqlite:///{self.scratch / 'mlflow.db'}"
            self._warm("mlflow", lambda: cli("export", "mlflow", str(good), "--tracking-uri", uri))
            views.append(("export", lambda: cli("export", "mlflow", str(folder), "--tracking-uri", uri)))
        return [measured(view, call) for view, call in views]


def main() -> None:
    runs, fd, cap = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
    requests = sys.stdin
    answers = os.fdopen(fd, "w", buffering=1)  # stdout is not ours: Keras and absl write there
    views = Views(runs)
    for line in requests:
        request = json.loads(line)
        results = views.run(request["run"], heavy=request["heavy"], export=request["export"])
        answers.write(json.dumps(results) + "\n")


if __name__ == "__main__":
    main()
