"""The chosen trial's test score: computed once, when the study ends, and kept apart.

Trials train on data without a test split (``_objective.without_test``), so no trial folder
holds a test score and nothing (the web list, compare, an export) can show one. When the
study ends, the best trial's saved model is scored on the test split once; the score goes to
the study (user attribute ``test_of_best``) and into that trial's ``metrics.json``, whose
``status.json`` then says ``chosen``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna

from fitbench.errors import FitbenchError
from fitbench.runs import _write
from fitbench.runs._folder import write_status
from fitbench.runs._record import SplitScores
from fitbench.trained import load_run
from fitbench.tuning._best import best_trial

TEST_ATTR = "test_of_best"  # the study's user attribute with the chosen trial's test score
SCORES = ("accuracy", "macro_f1", "loss", "n")


def record_test_of_best(study: optuna.Study) -> dict[str, Any] | None:
    """The best trial's test score, computed once and kept in the study and in its run folder.

    A continued study whose best trial did not change reads nothing again; when another trial
    becomes the best, the former one's folder says it was chosen before.
    """
    best = best_trial(study)
    if best is None or "run" not in best.user_attrs:
        return None
    recorded = study.user_attrs.get(TEST_ATTR)
    if isinstance(recorded, dict) and recorded.get("trial") == best.number and "missing" not in recorded:
        return recorded
    path = Path(best.user_attrs["run"])
    record: dict[str, Any] = {"trial": best.number, "run": str(path)}
    try:
        record |= score_chosen(path, study.study_name).model_dump(include=set(SCORES))
    except FitbenchError as error:
        record["missing"] = (f"no test score in {path} (its run folder is on another machine, or has no "
                             f"test split: {error})")
    if isinstance(recorded, dict) and recorded.get("trial") != best.number and "missing" not in recorded:
        _unchoose(Path(str(recorded.get("run"))), study.study_name, best.number)
    study.set_user_attr(TEST_ATTR, record)
    return record


def score_chosen(path: Path, study: str) -> SplitScores:
    """Score the run folder's model on its test split (unless it already holds that score: a
    study scored on test), add the score to its ``metrics.json`` and mark it chosen."""
    run = load_run(path)
    metrics = run.metrics
    scores = metrics.split("test")
    if scores is None:
        scores = _write.split_scores(run.evaluate("test").to_dict())
        _write.write_metrics(path, metrics.model_copy(update={"splits": {**metrics.splits, "test": scores}}))
    write_status(path, "complete", chosen=f"chosen by study {study} (best validation score); "
                                          "its test score was read once, after the search")
    return scores


def _unchoose(path: Path, study: str, now: int) -> None:
    """Say in a formerly chosen folder that it no longer is (its test score stays: it was read)."""
    try:
        write_status(path, "complete", chosen=f"chosen by study {study} before trial {now} did better "
                                              "(its test score was read then)")
    except OSError:  # gone, or on another machine: the study's record is what counts
        pass
