"""Trials never see the test split: no trial folder holds a test score but the chosen one's,
which is computed once, after the search, and marked as chosen."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import optuna

import fitbench as fb
from fitbench.runs import read_run
from fitbench.runs._summary import summarize
from fitbench.tuning import best_trial
from fitbench.tuning._tune import TEST_ATTR
from tests.tuning.conftest import tiny


def test_only_the_chosen_trial_folder_holds_a_test_score(shared_runs: Path, storage: str, study_name: str):
    study = fb.tune(tiny(trials=3, pruner="none"), storage=storage, study=study_name, runs_dir=shared_runs,
                    verbose=False)
    best = best_trial(study)
    assert best is not None
    chosen = Path(best.user_attrs["run"])
    folders = sorted(folder for folder in (shared_runs / study_name).iterdir() if folder.is_dir())
    assert len(folders) == 3 and chosen in folders
    for folder in folders:
        splits = json.loads((folder / "metrics.json").read_text())["splits"]
        status = json.loads((folder / "status.json").read_text())
        summary = summarize(read_run(folder))
        with np.load(folder / "predictions.npz") as saved:
            assert not any(name.startswith("test_") for name in saved.files)  # no test predictions either
        if folder == chosen:
            assert set(splits) == {"train", "val", "test"}
            assert status["chosen"].startswith(f"chosen by study {study_name}")
            assert summary.test_accuracy == splits["test"]["accuracy"] and "chosen" in (summary.note or "")
        else:
            assert set(splits) == {"train", "val"} and "chosen" not in status
            assert summary.test_accuracy is None and summary.test_macro_f1 is None
    record = study.user_attrs[TEST_ATTR]
    recorded = json.loads((chosen / "metrics.json").read_text())["splits"]["test"]
    assert record["trial"] == best.number and record["accuracy"] == recorded["accuracy"]


def test_a_continued_study_whose_best_did_not_change_reads_test_no_more(shared_runs: Path, storage: str,
                                                                          study_name: str, monkeypatch):
    from fitbench.tuning import _chosen

    fb.tune(tiny(trials=1, pruner="none"), storage=storage, study=study_name, runs_dir=shared_runs, verbose=False)
    study = optuna.load_study(study_name=study_name, storage=storage)
    before = study.user_attrs[TEST_ATTR]

    def refuse(*args, **kwargs):
        raise AssertionError("the test split was read again")

    monkeypatch.setattr(_chosen, "score_chosen", refuse)
    assert _chosen.record_test_of_best(study) == before
