"""Run examples/course.ipynb at full size: MNIST, 25 epochs at batch 10, 5 folds, 20 trials.

    python benchmarks/course_notebook.py                       # MNIST (downloaded or cached)
    python benchmarks/course_notebook.py --dataset fashion_mnist
    python benchmarks/course_notebook.py --data-dir ../shared/data/mnist --dataset idx ...

Executes the notebook in a fresh python3 kernel (nbclient, no cell timeout), then writes the
executed notebook and its HTML (nbconvert) to the output folder, and prints the time of each
code cell and the total. The tests run the same notebook with FITBENCH_COURSE_SIZE=small.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "course.ipynb"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--data-dir", help="a folder with the data set's files (offline)")
    parser.add_argument("--size", default="full", choices=["full", "small"])
    parser.add_argument("--out", help="output folder (default: a new temporary one)")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="fitbench-course-"))
    out.mkdir(parents=True, exist_ok=True)
    os.environ.update({"FITBENCH_COURSE_SIZE": args.size, "FITBENCH_COURSE_DATASET": args.dataset,
                       "FITBENCH_COURSE_RUNS": str(out / "runs")})
    if args.data_dir:
        os.environ["FITBENCH_COURSE_DATA_DIR"] = str(Path(args.data_dir).resolve())
    started = time.perf_counter()
    notebook = execute(out)
    total = time.perf_counter() - started
    write(notebook, out)
    print(f"\n{args.dataset}, {args.size}: {total / 60:.1f} min in all; {out}")


def execute(folder: Path):  # -> nbformat.NotebookNode
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, timeout=None, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            began = time.perf_counter()
            client.execute_cell(cell, index)
            print(f"{time.perf_counter() - began:8.1f} s  {cell.source.splitlines()[0][:70]}", flush=True)
    return notebook


def write(notebook, out: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    nbformat.write(notebook, out / "course.ipynb")
    (out / "course.html").write_text(HTMLExporter().from_notebook_node(notebook)[0], encoding="utf-8")


if __name__ == "__main__":
    main()
