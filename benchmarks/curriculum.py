"""Time the whole curriculum at full size: every experiment of the course, one seed.

    python benchmarks/curriculum.py                   # Fashion-MNIST, 48,000 / 12,000 / 10,000
    python benchmarks/curriculum.py --dataset mnist   # where MNIST is downloaded or cached

Fashion-MNIST has MNIST's shapes (install Debian's dataset-fashion-mnist); the course's
target is under 15 minutes on a 2-core laptop. Prints the time of each experiment (its
training, evaluation and saving) and the total, from a fresh output folder.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fitbench.runs import read_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--out", help="output folder (default: a new temporary one)")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="fitbench-curriculum-"))
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "fitbench.cli", "curriculum", "--dataset", args.dataset,
                           "-o", str(out)], check=False)
    total = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the curriculum failed (exit {done.returncode})")
    report(json.loads((out / "curriculum.json").read_text()), total, out)


def report(summary: dict, total: float, out: Path) -> None:
    print(f"\n{summary['dataset']}, one seed, {out}")
    for step in summary["steps"]:
        epochs = sum(read_run(path).metrics.epochs_run for path in step["runs"])
        what = f"{epochs} epochs" if step["kind"] == "train" else f"{len(step['runs'])} runs"
        print(f"  {step['id']:24s} {step['seconds']:7.1f} s  ({what})")
    print(f"  {'total, wall clock':24s} {total:7.1f} s = {total / 60:.1f} min (start-up, data loading, "
          "evaluation, saving and the report included)")


if __name__ == "__main__":
    main()
