"""Time the views of a run folder: ``fitbench report RUN`` before and after, and
``fitbench runs`` over 200 folders. Targets: each under 1 s median on 2 cores.

    python benchmarks/views.py --before /tmp/old-src     # an older checkout's src, for "before"
    python benchmarks/views.py                           # "after" only

Trains ``first`` for 2 epochs on the real MNIST test set (10,000 images, read as an IDX pair:
6,400 train / 1,600 val / 2,000 test) with each code, then times each command as a fresh
process (median of --repeat). "After" is trained as a user does, with ``fitbench train``, which
ends by writing the run's report: its pictures are drawn then, into ``<run>/figures/``. The
report is timed three ways: "as trained" (the folder as ``fitbench train`` left it, so the
pictures are reused: the usual case); "cold", its figures/ folder removed before each run, so
every picture is drawn (a run trained from Python or with ``--no-report``, or a 0.1.0 folder);
and "before", the older code's report of a folder it trained from Python (it drew every
picture each time). Prints wall seconds and CPU seconds (user + system of the command; on a
machine shared with other work the wall time mostly measures waiting), the ratios, and the
folder size.
"""

from __future__ import annotations

import argparse
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

ROOT = Path(__file__).resolve().parents[1]
MNIST = ROOT.parent / "shared" / "data" / "mnist"
IDX = (str(MNIST / "t10k-images-idx3-ubyte.gz"), str(MNIST / "t10k-labels-idx1-ubyte.gz"))
TRAIN = """
import fitbench as fb, sys
data = fb.load_dataset("idx", images=sys.argv[1], labels=sys.argv[2])
run = fb.fit(fb.build_model("first", data), data, epochs=2, batch_size=32, runs_dir=sys.argv[3], verbose=False)
print(run.path)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", help="src folder of the code to compare with (e.g. main's checkout)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--folders", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fitbench-views-"))
    try:
        src = str(ROOT / "src")
        run = train_cli(src, work / "after")
        files = sorted(path for path in run.iterdir() if path.is_file() and path.name != "report.html")
        print(f"run folder {sum(path.stat().st_size for path in files) / 1e6:.2f} MB "
              f"({', '.join(f'{path.name} {path.stat().st_size / 1e3:.0f} kB' for path in files)}; "
              f"report.html and figures/ aside)")
        trained = time_report(src, run, args.repeat, cold=False)
        cold = time_report(src, run, args.repeat, cold=True)
        print(f"after, as trained: fitbench report RUN  median {trained} over {args.repeat} runs "
              "(pictures drawn when training ended, reused)")
        print(f"after, cold:       fitbench report RUN  median {cold} over {args.repeat} runs (every picture drawn)")
        if args.before:
            before = time_report(args.before, train(args.before, work / "before"), args.repeat, cold=True)
            print(f"before:            fitbench report RUN  median {before} over {args.repeat} runs")
            for name, after in (("as trained", trained), ("cold", cold)):
                print(f"report, {name}: before / after = {before.wall / after.wall:.1f} in wall time, "
                      f"{before.cpu / after.cpu:.1f} in CPU time")
        listing = time_listing(work / "after", args.folders, args.repeat)
        print(f"after:  fitbench runs over {args.folders} folders  median {listing}")
        print(f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}: other processes share them)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def fitbench(src: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": src}
    return subprocess.run([sys.executable, "-m", "fitbench.cli", *args], env=env, capture_output=True, text=True,
                          check=True)


def train(src: str, runs: Path) -> Path:
    """A run folder trained from Python by the code under ``src`` (any version's API)."""
    trained = subprocess.run([sys.executable, "-c", TRAIN, *IDX, str(runs)],
                             env={**os.environ, "PYTHONPATH": src}, capture_output=True, text=True, check=True)
    return Path(trained.stdout.strip().splitlines()[-1])


def train_cli(src: str, runs: Path) -> Path:
    """A run folder as ``fitbench train`` leaves it: trained, then reported."""
    trained = fitbench(src, "train", "first", "--dataset", f"idx:{IDX[0]},{IDX[1]}", "--runs-dir", str(runs),
                       "--set", "training.epochs=2", "--set", "training.batch_size=32", "--quiet")
    return Path(trained.stdout.strip().splitlines()[-1])


def time_report(src: str, run: Path, repeat: int, *, cold: bool) -> Seconds:
    """Median seconds of ``fitbench report RUN`` as a fresh process; ``cold``: no saved pictures."""
    def report() -> None:
        fitbench(src, "report", str(run), "-o", str(run.parent / "report.html"))

    def forget() -> None:
        shutil.rmtree(run / "figures", ignore_errors=True)

    return median(report, repeat, before_each=forget if cold else None)


def time_listing(runs: Path, folders: int, repeat: int) -> Seconds:
    run = next(path for path in runs.iterdir() if path.is_dir())
    many = runs.parent / "many"
    for k in range(folders):
        shutil.copytree(run, many / f"{run.name}-{k:03d}", ignore=shutil.ignore_patterns("*.keras", "figures"))
    return median(lambda: fitbench(str(ROOT / "src"), "runs", "--runs-dir", str(many)), repeat)


class Seconds(NamedTuple):
    wall: float
    cpu: float  # user + system time of the command's process

    def __str__(self) -> str:
        return f"{self.wall:.2f} s wall, {self.cpu:.2f} s CPU"


def median(call: Callable[[], object], repeat: int, before_each: Callable[[], object] | None = None) -> Seconds:
    walls, cpus = [], []
    for _ in range(repeat):
        if before_each is not None:
            before_each()  # not timed
        before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        call()
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return Seconds(statistics.median(walls), statistics.median(cpus))


if __name__ == "__main__":
    main()
