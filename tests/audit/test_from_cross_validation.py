"""find_label_issues on a cross-validation: its fold runs are the audit's folds (issue 27:
the course notebook and the curriculum audit the labels from the folds they trained)."""

from __future__ import annotations

from pathlib import Path

import pytest

import fitbench as fb
from fitbench.errors import ConfigError

QUICK = ["training.epochs=1", "training.batch_size=64"]


@pytest.mark.slow  # trains two one-epoch folds on digits: about 15 s
def test_a_cross_validation_gives_the_audit_of_the_same_folds(tmp_path: Path):
    from fitbench.crossval import cross_validate

    folder = tmp_path / "audit-digits"  # where find_label_issues("digits") keeps its folds
    cv = cross_validate(fb.load_experiment("first", QUICK, dataset="digits"), 2, runs_dir=folder, verbose=False)
    trained = sorted(path.stat().st_mtime for path in folder.glob("*/status.json"))

    from_cv = fb.find_label_issues(cv)
    from_dataset = fb.find_label_issues("digits", 2, overrides=QUICK, runs_dir=tmp_path)
    assert sorted(path.stat().st_mtime for path in folder.glob("*/status.json")) == trained  # nothing trained
    assert from_cv.folder == from_dataset.folder == folder and from_cv.folds == 2
    assert from_cv.suspects and from_cv.suspects == from_dataset.suspects
    assert from_cv.audited == 1797  # every image of digits: the folds' held-out ones and the test split

    with pytest.raises(ConfigError, match="the cross-validation has 2 folds"):
        fb.find_label_issues(cv, folds=5)
    with pytest.raises(ConfigError, match="overrides and data_dir apply to a data set"):
        fb.find_label_issues(cv, overrides=QUICK)


def test_anything_else_is_refused_in_one_line():
    with pytest.raises(ConfigError, match="got a list; expected a data set spec"):
        fb.find_label_issues([1, 2])  # type: ignore[arg-type]
