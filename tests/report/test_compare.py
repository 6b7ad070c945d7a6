"""compare(runs): sorted by validation score, plain rows, what differs, ties called out."""

from __future__ import annotations

from pathlib import Path

import pytest

import fitbench as fb
from fitbench.errors import FitbenchError
from fitbench.report import COLUMNS
from tests.diagnosis.crafted import HEALTHY, OVERFIT, run_folder, split_record


def three_runs(root: Path) -> list[Path]:
    def splits(train_n: int, val: float) -> dict:
        return {"train": split_record("train", train_n, 0.99), "val": split_record("val", 2000, val),
                "test": split_record("test", 2000, val - 0.01)}

    return [
        run_folder(root, "small-data", history=OVERFIT, splits=splits(1000, 0.90), training={"epochs": 15}),
        run_folder(root, "full", splits=splits(4000, 0.95)),
        run_folder(root, "full-lr", splits=splits(4000, 0.945), training={"learning_rate": 1e-3}),
    ]


def test_table_is_sorted_by_validation_score_with_plain_rows(tmp_path: Path):
    comparison = fb.compare(three_runs(tmp_path))
    rows = comparison.table()
    assert [row["name"] for row in rows] == ["full", "full-lr", "small-data"]
    assert list(rows[0])[:len(COLUMNS)] == list(COLUMNS)
    assert rows[0]["val_accuracy"] == 0.95 and rows[2]["epochs_run"] == 15 and rows[0]["model"] == "small"
    assert rows[0]["val_half_width"] == pytest.approx(fb.diagnosis.interval_half_width(0.95, 2000))


def test_differences_show_what_changed(tmp_path: Path):
    comparison = fb.compare(three_runs(tmp_path))
    assert comparison.differences() == {"training.learning_rate": [3e-4, 1e-3, 3e-4],
                                        "training.epochs": [25, 25, 15]}


def test_close_scores_are_ties_and_the_smaller_model_is_preferred(tmp_path: Path):
    comparison = fb.compare(three_runs(tmp_path))
    assert [row.name for row in comparison.close_to_best()] == ["full", "full-lr"]  # 0.945 is within +/-1 point
    assert comparison.verdicts()[0].startswith("full, full-lr: validation accuracies within 1.0 points")
    assert comparison.text().splitlines()[1].split()[:3] == ["full", "small", "6,570"]


def test_html_has_the_table_the_differences_and_the_curves(tmp_path: Path):
    html = fb.compare(three_runs(tmp_path)).to_html(tmp_path / "c.html").read_text(encoding="utf-8")
    assert html.count("<img src=\"data:image/png;base64,") == 2  # curves, score by training-set size
    assert "training.learning_rate" in html and '<tr class="best">' in html
    assert "http" not in html


def test_compare_refuses_nothing_and_non_runs(tmp_path: Path):
    with pytest.raises(FitbenchError, match="got no runs"):
        fb.compare([])
    with pytest.raises(FitbenchError, match="not a run folder"):
        fb.compare([tmp_path])


def test_same_name_twice_is_told_apart(tmp_path: Path):
    first = run_folder(tmp_path / "a", "same", history=HEALTHY)
    second = run_folder(tmp_path / "b", "same", history=HEALTHY)
    # Each label says which folder it is (19.11: not "same #2").
    assert sorted(row["name"] for row in fb.compare([first, second]).table()) == ["same (a/same)", "same (b/same)"]


def test_an_empty_value_and_a_missing_one_are_no_difference(tmp_path: Path):
    # config.yaml from an experiment file fills in every key (kwargs: {}); fb.fit records only what was given.
    filled = run_folder(tmp_path, "filled", training={"kwargs": {}, "augment": []})
    assert fb.compare([filled, run_folder(tmp_path, "bare")]).differences() == {}
