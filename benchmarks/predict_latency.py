"""How long a prediction makes its user wait: fresh processes, the median of 5 per case.

Cases (issue 26's targets):

    floor: import Keras and JAX         what every case pays before its own work (the baseline), as
                                        `fitbench predict` imports them: without the packages Keras
                                        imports when installed (pandas, scikit-learn, matplotlib, IPython)
    Keras with its optional imports     `import fitbench.models` as any other program imports it
    predict 3 PNGs, cold cache          `fitbench predict RUN a.png b.png c.png`, empty compile cache: < 6 s
    predict 3 PNGs, warm cache          the same, the run's programs in the compile cache: < 3 s
    web: first answer, draw page open   a fresh `fitbench serve`; GET /draw?run=RUN starts loading the
                                        run's model; once GET /api/model says it is ready, POST
                                        /api/predict: that answer < 1 s. "After the draw page opened"
                                        means after its warm-up ended (a user draws for a few
                                        seconds); the line gives the warm-up's time too, from the
                                        page's request (the server imports Keras from its start)
    web: first answer, 2 s drawing      GET /draw, a user's 2 s of drawing, then the first answer: what
                                        a quick user waits for when the warm-up takes longer
    web: first answer, no draw page     the same without opening the page first (the model loads
                                        in the request: what the page's warm-up saves)

The servers use the user's compile cache (``~/.cache/fitbench/jax``), warm after the first.

Each line prints the median wall time, the target, the ratio to the floor measured in the same
run, and, for the command-line cases, the median CPU time (user + system) of the process: on a
loaded machine the wall time is several times what an idle one takes, while the CPU time of
these single-threaded starts is about what an idle machine's wall time would be. Report them
with the machine's load (`uptime`), which the script prints first and last.

    python benchmarks/predict_latency.py                  # trains a quick `first` run first
    python benchmarks/predict_latency.py --run runs/<run>  # an existing 28x28 run
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).parent))
from serve_latency import ROOT, Server, canvas_png, multipart, quick_run, send  # noqa: E402

REPEATS = 5
LEAN_IMPORT = "from fitbench._backend import keras_without_extras\nwith keras_without_extras():\n    import fitbench.models"
DRAWING_S = 2.0  # the least time a user takes to draw a digit after the page opened
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="a run folder with a 28x28 model (default: train one)")
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (uptime)")
    with tempfile.TemporaryDirectory() as scratch:
        scratch_path = Path(scratch)
        runs = scratch_path / "runs"
        if args.run:
            run = Path(shutil.copytree(args.run, runs / args.run.name))
        else:
            run = quick_run(runs)
        pngs = write_pngs(scratch_path / "inputs")
        cache = scratch_path / "cache"
        cases: dict[str, tuple[Callable[[], Timing], float | None]] = {
            "floor: import Keras and JAX": (lambda: timed([sys.executable, "-c", LEAN_IMPORT]), None),
            "Keras with its optional imports": (lambda: timed([sys.executable, "-c", "import fitbench.models"]), None),
            "predict 3 PNGs, cold cache": (lambda: predict(run, pngs, fresh_cache(cache)), 6.0),
            "predict 3 PNGs, warm cache": (lambda: predict(run, pngs, cache), 3.0),
            "web: first answer, draw page open": (lambda: warm_up_and_answer(runs, run.name), 1.0),
            "web: first answer, 2 s drawing": (lambda: Timing(first_answer(runs, run.name, open_page=True)), None),
            "web: first answer, no draw page": (lambda: Timing(first_answer(runs, run.name, open_page=False)), None),
        }
        predict(run, pngs, cache)  # fills the warm cache
        floor = None
        for name, (measure, target) in cases.items():
            timings = [measure() for _ in range(REPEATS)]
            median = statistics.median(t.wall for t in timings)
            floor = floor or median
            cpu = statistics.median(t.cpu for t in timings) if timings[0].cpu is not None else None
            verdict = "" if target is None else f"  target < {target:.0f} s: {'yes' if median < target else 'NO'}"
            cpu_text = f"  cpu {cpu:5.2f} s" if cpu is not None else " " * 14
            if timings[0].warm_up is not None:
                verdict += f"  (after a warm-up of {statistics.median(t.warm_up for t in timings if t.warm_up is not None):.2f} s)"
            print(f"{name:36s} {median:6.2f} s  ({median / floor:4.2f}x the floor){cpu_text}{verdict}", flush=True)
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (uptime)")


def write_pngs(folder: Path) -> list[Path]:
    """Three digits as photographed: dark ink on white, 280x280."""
    from PIL import Image

    folder.mkdir()
    paths = []
    for k in range(3):
        path = folder / f"{k}.png"
        Image.open(io.BytesIO(canvas_png())).rotate(5 * k, fillcolor="white").save(path)
        paths.append(path)
    return paths


def fresh_cache(cache: Path) -> Path:
    """An empty cache folder, beside the warm one."""
    cold = cache.with_name("cold")
    shutil.rmtree(cold, ignore_errors=True)
    return cold


class Timing(NamedTuple):
    wall: float
    cpu: float | None = None  # user + system seconds of the process (None: a server's request)
    warm_up: float | None = None  # seconds the draw page's warm-up took before the timed answer


def timed(command: list[str], env: dict[str, str] | None = None) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env or ENV, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Timing(wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def predict(run: Path, pngs: list[Path], cache: Path) -> Timing:
    out = run.parent.parent / "predictions.csv"
    return timed([sys.executable, "-m", "fitbench.cli", "predict", str(run), *map(str, pngs), "-o", str(out)],
                 {**ENV, "FITBENCH_CACHE": str(cache)})


def first_answer(runs: Path, run_id: str, *, open_page: bool) -> float:
    """Seconds from sending the first drawing to its answer, in a server started for it."""
    body, headers = multipart(canvas_png())
    with Server(runs) as server:
        connection = server.connect()
        if open_page:
            status, _, _ = send(connection, "GET", f"/draw?run={run_id}")
            assert status == 200, status
            time.sleep(DRAWING_S)
        status, milliseconds, answer = send(connection, "POST", f"/api/predict?run={run_id}", body, headers)
        assert status == 200, answer[:200]
    return milliseconds / 1000


def warm_up_and_answer(runs: Path, run_id: str, limit_s: float = 300.0) -> Timing:
    """The first answer's seconds once the draw page's warm-up is done, in a server started for
    it; ``warm_up``: seconds from opening the page until the server said the model is ready."""
    body, headers = multipart(canvas_png())
    with Server(runs) as server:
        connection = server.connect()
        opened = time.perf_counter()
        status, _, _ = send(connection, "GET", f"/draw?run={run_id}")
        assert status == 200, status
        state = "not loaded"
        while state in ("not loaded", "loading") and time.perf_counter() - opened < limit_s:
            time.sleep(0.05)  # a poll, as a page would
            state = json.loads(send(connection, "GET", f"/api/model?run={run_id}")[2])["state"]
        assert state == "ready", state
        warm_up = time.perf_counter() - opened
        status, milliseconds, answer = send(connection, "POST", f"/api/predict?run={run_id}", body, headers)
        assert status == 200, answer[:200]
    return Timing(milliseconds / 1000, warm_up=warm_up)


if __name__ == "__main__":
    main()
