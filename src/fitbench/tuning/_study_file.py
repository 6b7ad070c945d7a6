"""``<runs>/<study>/study.json``: the study's search and its chosen trial, beside the trials'
folders, so that what reads folders alone (``fitbench export mlflow``) knows them too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna

from fitbench import _io
from fitbench.tuning._best import best_trial, state_counts
from fitbench.tuning._chosen import TEST_ATTR
from fitbench.tuning._tuning import Tuning

STUDY_FILE = "study.json"


def write_study_file(study: optuna.Study, tuning: Tuning, folder: Path) -> Path | None:
    """Write the study's record into its folder of trials (None when no trial ran here)."""
    if not folder.is_dir():
        return None
    path = folder / STUDY_FILE
    _io.write_json(path, study_file(study, tuning))
    return path


def study_file(study: optuna.Study, tuning: Tuning) -> dict[str, Any]:
    search = tuning.search
    best = best_trial(study)
    chosen = None if best is None else {
        "trial": best.number, "value": best.values[0], "run": best.user_attrs.get("run"),
        "params": best.user_attrs.get("values") or best.params}
    return {"study": study.study_name, "objective": search.objective,
            "direction": study.directions[0].name.lower(),
            "search": search.model_dump(mode="json", exclude={"space"}), "space": search.space,
            "trials": state_counts(study), "best": chosen, "test": study.user_attrs.get(TEST_ATTR)}
