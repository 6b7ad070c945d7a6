"""The compare page's learning curve: one per data set, never runs of two data sets as one curve."""

from __future__ import annotations

from pathlib import Path

import fitbench as fb
from tests.diagnosis.crafted import run_folder, split_record


def run_on(root: Path, name: str, dataset: str, train_n: int, val: float) -> Path:
    splits = {"train": split_record("train", train_n, 0.99), "val": split_record("val", 2000, val)}
    return run_folder(root, name, dataset={"name": dataset}, splits=splits)


def test_an_mnist_run_and_two_fashion_runs_make_no_common_curve(tmp_path: Path):
    runs = [run_on(tmp_path, "mnist-4k", "mnist", 4000, 0.97),
            run_on(tmp_path, "fashion-1k", "fashion_mnist", 1000, 0.80),
            run_on(tmp_path, "fashion-2k", "fashion_mnist", 2000, 0.84)]
    comparison = fb.compare(runs)
    series = comparison.size_series()
    assert list(series) == ["fashion_mnist"]  # MNIST has one size: no curve of its own
    _, points = series["fashion_mnist"]
    assert [(p.name, p.train_size) for p in points] == [("fashion-1k", 1000), ("fashion-2k", 2000)]
    html = comparison.to_html(tmp_path / "compare.html").read_text()
    assert "fashion_mnist: runs of small on training sets of different sizes" in html


def test_each_data_set_with_two_sizes_gets_its_own_curve(tmp_path: Path):
    runs = [run_on(tmp_path, "mnist-1k", "mnist", 1000, 0.93), run_on(tmp_path, "mnist-4k", "mnist", 4000, 0.97),
            run_on(tmp_path, "fashion-1k", "fashion_mnist", 1000, 0.80),
            run_on(tmp_path, "fashion-2k", "fashion_mnist", 2000, 0.84)]
    series = fb.compare(runs).size_series()
    assert {dataset: [p.name for p in points] for dataset, (_, points) in series.items()} == {
        "mnist": ["mnist-1k", "mnist-4k"], "fashion_mnist": ["fashion-1k", "fashion-2k"]}
