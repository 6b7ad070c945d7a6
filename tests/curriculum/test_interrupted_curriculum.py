"""Ctrl-C in the curriculum: the step's run is saved and recorded in curriculum.json, the report
is written, then KeyboardInterrupt reaches the caller (issue 25: it returned as if done)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from fitbench.curriculum import _run, run_curriculum
from fitbench.progress import TrainingProgress


class CtrlCAfterFirstEpoch(TrainingProgress):
    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if epoch == 0:
            os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.slow  # trains the first quick step: about 15 s
def test_an_interrupted_curriculum_saves_what_it_did_then_stops_the_caller(tmp_path: Path, monkeypatch):
    def epochs(self, detail, count):
        return CtrlCAfterFirstEpoch(self.display, count, label=f"{self.label} {detail}", estimate=self.estimate)

    monkeypatch.setattr(_run.Shown, "epochs", epochs)
    with pytest.raises(KeyboardInterrupt):
        run_curriculum(dataset="digits", quick=True, only="try01,try02", out=tmp_path, verbose=False)
    summary = json.loads((tmp_path / "curriculum.json").read_text())
    (step,) = summary["steps"]  # try02 never started
    assert step["id"] == "try01-small-data" and step["interrupted"] and len(step["runs"]) == 1
    assert json.loads((Path(step["runs"][0]) / "status.json").read_text())["state"] == "interrupted"
    assert (tmp_path / "report.html").is_file()
