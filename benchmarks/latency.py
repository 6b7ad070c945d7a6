"""How long a fresh ``fitbench`` process takes to answer: each case is a new process, timed from
start to exit, the median of 5 (issue 26).

    python benchmarks/latency.py                 # every case
    python benchmarks/latency.py --only typo     # the cases whose name contains "typo"
    python benchmarks/latency.py --repeat 9

Baselines measured in the same run: the interpreter alone (``python -c pass``) and ``fitbench
--version``; each case prints its median, its target and the ratio to the target. Cases are a
table (``CASES``): a name, the arguments (given the fixtures), the exit code expected, the target.
Fixtures are made once, on first use, in a temporary folder (``FIXTURES``).
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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = 500  # `fitbench runs` over this many run folders


def quick_run(work: Path) -> Path:
    """A finished run folder: the small model, one epoch on 200 digits (no download)."""
    code = ("import sys, fitbench as fb; data = fb.load_dataset('digits', seed=0, train_limit=200); "
            "print(fb.fit(fb.build_model('small', data), data, epochs=1, batch_size=20, verbose=False, "
            f"runs_dir={str(work / 'one')!r}, name='latency').path)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return Path(done.stdout.strip().splitlines()[-1])


def many_runs(work: Path, fixtures: Fixtures) -> Path:
    """``FOLDERS`` run folders (hard links to one run's files: 500 folders for the price of one)."""
    run, runs = fixtures.get("run"), work / "runs"
    for index in range(FOLDERS):
        shutil.copytree(run, runs / f"{run.name}-{index:03d}", copy_function=os.link)
    return runs


FIXTURES: dict[str, Callable[[Path, Fixtures], Path]] = {
    "run": lambda work, fixtures: quick_run(work),
    "runs": many_runs,
}


class Fixtures:
    """Each fixture made once, when a case first needs it."""

    def __init__(self, work: Path) -> None:
        self.work, self._made = work, {}

    def get(self, name: str) -> Path:
        if name not in self._made:
            self._made[name] = FIXTURES[name](self.work, self)
        return self._made[name]


@dataclass(frozen=True)
class Case:
    name: str
    args: Callable[[Fixtures], list[str]]  # fitbench's arguments
    exit_code: int
    target_s: float | None  # None: a baseline, shown for comparison


CASES = [
    Case("baseline: python -c pass", lambda f: ["-c", "pass"], 0, None),
    Case("baseline: fitbench --version", lambda f: ["-m", "fitbench.cli", "--version"], 0, None),
    Case("typo: misspelt experiment", lambda f: ["-m", "fitbench.cli", "train", "frist"], 2, 0.5),
    Case("typo: misspelt data set", lambda f: ["-m", "fitbench.cli", "train", "first", "--dataset", "digts"], 2, 0.5),
    Case("typo: bad --set key", lambda f: ["-m", "fitbench.cli", "train", "first", "--set", "training.epoch=3"], 2,
         0.5),
    Case("typo: misspelt tuning file", lambda f: ["-m", "fitbench.cli", "tune", "tuen"], 2, 0.5),
    Case(f"fitbench runs over {FOLDERS} folders", lambda f: ["-m", "fitbench.cli", "runs", "--runs-dir",
                                                             str(f.get("runs"))], 0, 0.5),
]


def time_once(args: list[str], exit_code: int, environment: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=environment)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != exit_code:
        raise SystemExit(f"{args}: exit {done.returncode}, expected {exit_code}: {done.stderr[-500:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def installed_like(scratch: Path) -> dict[str, str]:
    """The environment of an installed fitbench: bytecode cached (pip compiles it; a source tree
    with PYTHONDONTWRITEBYTECODE would compile every module in every process), here under
    ``scratch`` so that the tree stays clean."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {**environment, "PYTHONPYCACHEPREFIX": str(scratch / "pycache")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="processes per case; the median is shown (default: 5)")
    parser.add_argument("--only", metavar="TEXT", help="only the cases whose name contains TEXT (and the baselines)")
    options = parser.parse_args()
    print(f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())} on {os.cpu_count()} CPUs; "
          f"median of {options.repeat} fresh processes")
    with tempfile.TemporaryDirectory(prefix="fitbench-latency-") as scratch:
        fixtures, environment = Fixtures(Path(scratch)), installed_like(Path(scratch))
        print(f"{'case':40s} {'wall':>8s} {'CPU':>8s}")
        for case in CASES:
            if options.only and options.only not in case.name and case.target_s is not None:
                continue
            args = case.args(fixtures)  # fixtures first: their making is not timed
            time_once(args, case.exit_code, environment)  # writes the bytecode cache; not counted
            wall, cpu = (statistics.median(times) for times in zip(
                *(time_once(args, case.exit_code, environment) for _ in range(options.repeat))))
            verdict = "" if case.target_s is None else (
                f"  {wall / case.target_s:.2f} of the {case.target_s} s target "
                f"({'met' if wall < case.target_s else 'MISSED'})")
            print(f"{case.name:40s} {wall:6.3f} s {cpu:6.3f} s{verdict}")
    print(f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
