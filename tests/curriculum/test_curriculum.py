"""fitbench curriculum: the course's order, --quick on digits end to end, and resuming after a kill."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fitbench.curriculum import STEPS
from fitbench.curriculum._numbers import StepNumbers, versus
from fitbench.curriculum._plan import adapt, document, select
from fitbench.errors import ConfigError
from tests.conftest import ROOT


def curriculum(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "fitbench.cli", "curriculum", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_the_course_order():
    assert [step.id.split("-")[0] for step in STEPS] == [
        "try01", "try02", "try03", "try03b", "try04", "try05", "try06", "try06", "try06", "try07", "try08",
        "try08", "try09", "try10", "try11"]
    for step in STEPS:
        doc = document(step)
        assert doc["name"] in (step.id, "course-tuning") and "training" in doc


def test_only_selects_by_prefix_and_refuses_unknown_names():
    assert [step.id for step in select("try06,try10")] == [
        "try06-dropout-0.2", "try06-dropout-0.5", "try06-l2", "try10-cross-validation"]
    with pytest.raises(ConfigError, match="--only: no experiment 'try99'"):
        select("try05,try99")


def test_adapt_switches_data_shrinks_and_seeds(tmp_path: Path):
    small = document(STEPS[0])
    quick = adapt(small, dataset=f"idx:{tmp_path}/i.gz,{tmp_path}/l.gz", data_dir=None, quick=True, seed_offset=2)
    assert quick["dataset"]["name"] == "idx" and quick["dataset"]["images"].endswith("i.gz")
    assert quick["dataset"]["train_limit"] == 300 and quick["dataset"]["val_limit"] == 100
    assert quick["training"]["epochs"] == 2 and quick["training"]["seed"] == 44
    assert small["training"]["epochs"] == 25  # the shipped document is not changed
    with pytest.raises(ConfigError, match="expected a folder with one \\*images\\* and one \\*labels\\*"):
        adapt(small, dataset=f"idx:{tmp_path}", data_dir=None, quick=False)


def test_versus_says_whether_a_difference_is_noise():
    one = StepNumbers(0.90, 0.0, 0.9, 1.0, 0.9, 200, 10, 5, 5, 0.1, 1, 1)
    other = StepNumbers(0.92, 0.0, 0.9, 1.0, 0.9, 200, 10, 5, 5, 0.1, 1, 1)
    assert versus(other, one).startswith("+0.020, within the noise of one score on 200 validation images")
    seeded = StepNumbers(0.95, 0.002, 0.9, 1.0, 0.9, 12000, 10, 5, 5, 0.1, 1, 3)
    base = StepNumbers(0.93, 0.003, 0.9, 1.0, 0.9, 12000, 10, 5, 5, 0.1, 1, 3)
    assert versus(seeded, base) == "+0.020, more than the seed-to-seed noise, +/- 0.006 over 3 seeds"


@pytest.mark.slow
def test_quick_curriculum_on_digits(tmp_path: Path):
    """The whole course, --quick, offline: every experiment runs and the report is written."""
    process = curriculum("--dataset", "digits", "--quick", "-o", str(tmp_path))
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    summary = json.loads((tmp_path / "curriculum.json").read_text())
    assert summary["quick"] and [step["id"] for step in summary["steps"]] == [step.id for step in STEPS]
    assert all(step["runs"] for step in summary["steps"])
    assert summary["steps"][-2]["crossval"]["folds"] == 3
    assert summary["steps"][-1]["tuning"]["trials"] >= 3
    html = (tmp_path / "report.html").read_text()
    assert "Quick run (--quick)" in html and all(step.id in html for step in STEPS)
    assert "Lesson:</strong> Small data: training accuracy" in html
    assert "data:image/png;base64," in html and "http" not in html.split("<body>")[1]  # self-contained
    assert '<a href="try10-cross-validation/label_issues.html">' in html  # the audit of the data set's labels
    assert (tmp_path / "try10-cross-validation" / "label_issues.html").is_file()
    assert "[15/15] try11-tuning" in out and "epoch 1/2" in out and "left ~" in out  # one progress display
    assert "trial 1 of 3: #0" in out  # the tuning step shows its trials
    assert "[ 1/15] try01-small-data seed 1/1 epoch 1/2" in out.splitlines()[0]
    assert out.splitlines()[0].endswith("left ~?")  # no estimate from the compile epoch alone
    assert out.strip().splitlines()[-1].startswith("curriculum: 15 of 15 experiments in")


@pytest.mark.slow
def test_killed_curriculum_continues_without_redoing_finished_experiments(tmp_path: Path):
    args = ("--dataset", "digits", "--quick", "--only", "try01,try02,try05", "-o", str(tmp_path))
    first = curriculum(*args)
    for line in first.stdout:
        if line.startswith("[ 2/3] try02-more-data seed 1/1 epoch 1/2"):
            first.send_signal(signal.SIGKILL)  # in the middle of the second experiment
            break
    first.wait(timeout=60)
    (done,) = (tmp_path / "try01-small-data").iterdir()
    finished_at = (done / "status.json").stat().st_mtime

    second = curriculum(*args)
    out, err = second.communicate(timeout=600)
    assert second.returncode == 0, err
    assert f"[ 1/3] try01-small-data seed 1/1: already done ({done})" in out
    assert "(1 trained, 1 resumed, 1 already done)" in out  # try02 from its checkpoint, try05 anew
    assert (done / "status.json").stat().st_mtime == finished_at  # not trained again
    assert [len(list((tmp_path / step).iterdir())) for step in ("try01-small-data", "try02-more-data")] == [1, 1]


def numbers(**changes) -> StepNumbers:
    base = {"val": 0.9, "val_sd": 0.0, "val_f1": 0.9, "train": 0.95, "test": 0.89, "val_n": 2000,
            "parameters": 52_650, "epochs_run": 25.0, "best_epoch": 24.0, "seconds_per_epoch": 0.19,
            "seconds": 4.8, "seeds": 1, "stopped_early": False}
    return StepNumbers(**{**base, **changes})


def test_lessons_are_built_from_the_runs_numbers():
    from fitbench.curriculum._lessons import lesson

    ran_out = lesson("try05-early-stopping", {"try05-early-stopping": numbers()}, [], {})
    assert "stopped where validation stopped improving" not in ran_out and "never triggered" in ran_out
    stopped = lesson("try05-early-stopping", {"try05-early-stopping": numbers(stopped_early=True, epochs_run=9.0)}, [], {})
    assert "Training stopped where validation stopped improving." in stopped
    bypass = next(step for step in STEPS if step.id == "try08-bypass")
    assert "million" not in bypass.change  # the size is the run's, said by the lesson and the table


def test_all_experiments_table_says_1_seed_formats_seconds_and_lists_cv_and_tuning():
    from fitbench.curriculum._report import StepView, _table

    def view(step_id: str, n: StepNumbers | None) -> StepView:
        return StepView(step_id, step_id, "", [], "", n, [], None, [])

    records = [{"id": "try05-early-stopping"},
               {"id": "try10-cross-validation", "crossval": {"folds": 5, "mean": 0.97, "sd": 0.004,
                                                             "vote_accuracy": 0.98}},
               {"id": "try11-tuning", "tuning": {"trials": 3, "best_value": 0.95, "test": {"accuracy": 0.96}}}]
    table = _table([view("try05-early-stopping", numbers()), view("try10-cross-validation", None),
                    view("try11-tuning", None)], records)
    first, cv, tuning = table["rows"]
    assert first[6] == "1 seed" and first[10:] == ["0.19", "4.8"] and first[2] == "25"
    assert cv[0] == "try10-cross-validation" and cv[6] == "± 0.0040 over 5 folds" and cv[8] == 0.98
    assert tuning[6] == "best of 3 trials" and tuning[7] == 0.95


def test_size_chart_labels_of_one_model_size_do_not_overlap():
    from fitbench.curriculum._report import Point, label_offsets

    points = [Point("try02-more-data", 118_282, 0.97, 0.0), Point("try06-l2", 118_282, 0.971, 0.0),
              Point("try04-smaller-model", 52_650, 0.95, 0.0)]
    offsets = label_offsets(points)
    assert offsets[0] != offsets[1] and abs(offsets[0][1] - offsets[1][1]) >= 9
