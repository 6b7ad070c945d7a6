"""The leakage finding: found when fb.fit checks the arrays, saved with its pairs in
findings.json, and shown by every later diagnosis and report of the run folder alone."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

import fitbench as fb
from fitbench.cli import main
from fitbench.diagnosis import check_arrays, diagnose, leakage
from fitbench.errors import FitbenchWarning
from fitbench.leaks import Leak
from fitbench.runs import _write
from fitbench.runs._record import MAX_PAIRS, FindingRecord
from tests.conftest import digits_subset
from tests.diagnosis.crafted import run_folder


def _with_copies(digits):
    """Digits whose test split holds three training images (positions 0, 1, 2 -> 5, 6, 7)."""
    data = digits_subset(digits)
    x_test, y_test = data.x_test.copy(), data.y_test.copy()
    x_test[5:8], y_test[5:8] = data.x_train[:3], data.y_train[:3]
    return fb.Dataset.from_arrays((data.x_train, data.y_train), (data.x_val, data.y_val), (x_test, y_test))


def test_check_arrays_finds_copies_with_their_pairs(digits):
    data = _with_copies(digits)
    [finding] = check_arrays(fb.build_model("first", data), data)
    assert finding.code == "leakage" and finding.severity == "warning" and finding.numbers["exact"] == 3
    assert sorted(finding.numbers["pairs"]) == [("train", 0, "test", 5), ("train", 1, "test", 6), ("train", 2, "test", 7)]
    assert "3 test in train" in finding.evidence


def test_the_saved_finding_shows_in_a_diagnosis_of_the_folder_alone(tmp_path: Path, capsys):
    path = run_folder(tmp_path)
    finding = leakage([Leak("train", 12, "test", 3, 0, 1.0, 1.0), Leak("val", 4, "test", 9, 2, 0.99, 0.9)])
    _write.write_findings(path, [finding])
    [found] = diagnose(path)
    assert found.code == "leakage" and found.numbers["pairs"] == [("train", 12, "test", 3), ("val", 4, "test", 9)]
    assert found.to_dict()["pairs"] == [["train", 12, "test", 3], ["val", 4, "test", 9]]
    assert main(["diagnose", str(path)]) == 0
    assert "train #12 = test #3" in capsys.readouterr().out


def test_findings_json_keeps_a_bounded_list_of_valid_pairs():
    base = {"code": "leakage", "severity": "warning", "verdict": "v", "evidence": "e", "advice": "a"}
    assert FindingRecord.model_validate({**base, "pairs": [["train", 1, "test", 2]]}).pairs == [("train", 1, "test", 2)]
    with pytest.raises(ValidationError):
        FindingRecord.model_validate({**base, "pairs": [["train", 1, "test", 2]] * (MAX_PAIRS + 1)})
    for bad in (["../etc", 1, "test", 2], ["train", -1, "test", 2], ["train", 1, "test"]):
        with pytest.raises(ValidationError):
            FindingRecord.model_validate({**base, "pairs": [bad]})
    blurred = leakage([Leak("train", 1, "test", 2, 4, 0.99, 0.95)])  # a resized copy, or two similar 1s
    assert blurred is not None and blurred.severity == "info" and "may be blurred copies" in blurred.verdict
    many = leakage([Leak("train", k, "test", k, 0, 1.0, 1.0) for k in range(MAX_PAIRS + 50)])
    assert many is not None and many.numbers["count"] == MAX_PAIRS + 50 and len(many.numbers["pairs"]) == MAX_PAIRS


@pytest.mark.slow
def test_fit_warns_of_copies_and_the_report_shows_them(digits, runs_dir: Path):
    data = _with_copies(digits)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = fb.fit(fb.build_model("first", data), data, epochs=1, batch_size=50, runs_dir=runs_dir, verbose=False)
    assert any("[leakage] 3 images" in str(w.message) for w in caught if w.category is FitbenchWarning)
    (run.path / "model.keras").unlink()  # the saved finding needs neither the model nor the data
    [found] = [f for f in diagnose(run.path) if f.code == "leakage"]
    assert len(found.numbers["pairs"]) == 3
    shown = fb.load_run(run.path).record.images("leaks")
    assert np.array_equal(shown.images[0], shown.images[1])  # each original beside its copy
    html = fb.load_run(run.path).report().read_text(encoding="utf-8")
    assert "Copies across splits" in html and "train #0 = test #5" in html


def test_the_notebook_display_lists_the_pairs():
    from fitbench.display._findings import findings_html

    finding = leakage([Leak("train", 12, "test", 3, 0, 1.0, 1.0)])
    assert "copies: train #12 = test #3" in findings_html([finding])
