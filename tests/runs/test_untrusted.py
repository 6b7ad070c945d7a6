"""A hostile runs directory through the command line: ``fitbench runs``, ``report`` and
``diagnose`` end quickly, name each damaged folder's file in one line, and read nothing
outside (no symlink followed, no FIFO opened for reading)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from itertools import takewhile
from pathlib import Path

import pytest

from fitbench.errors import FitbenchError
from fitbench.runs import read_run
from fitbench.runs._lock import acquire
from tests.conftest import ROOT
from tests.diagnosis.crafted import run_folder

SECRET = "fitbench-secret-5c1e"
DAMAGED = {  # folder: the one line `fitbench runs` must say about it
    "fifo-status": "status.json is not a regular file",
    "fifo-lock": ".lock is not a regular file",
    "linked-metrics": "metrics.json is a symbolic link (not followed)",
}


def fake_model(folder: Path) -> None:
    """A ``model.keras`` that is a whole zip archive of an empty model: all a listing checks (no Keras needed)."""
    with zipfile.ZipFile(folder / "model.keras", "w") as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", b"")


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    runs, outside = tmp_path / "runs", tmp_path / "outside"
    outside.mkdir()
    (outside / "metrics.json").write_text(json.dumps({"note": SECRET}))
    fake_model(run_folder(runs, "good"))
    folder = run_folder(runs, "fifo-status")
    (folder / "status.json").unlink()
    os.mkfifo(folder / "status.json")
    folder = run_folder(runs, "fifo-lock")
    (folder / "status.json").write_text('{"state": "running"}')
    os.mkfifo(folder / ".lock")
    folder = run_folder(runs, "linked-metrics")
    fake_model(folder)
    (folder / "metrics.json").unlink()
    (folder / "metrics.json").symlink_to(outside / "metrics.json")
    (runs / "root-link").symlink_to("/", target_is_directory=True)
    return runs


def fitbench(*args: str) -> subprocess.CompletedProcess[str]:
    # A timeout, not a hang: a FIFO opened for reading would block until killed.
    return subprocess.run([sys.executable, "-m", "fitbench.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_runs_lists_a_hostile_directory_one_line_per_damaged_folder(hostile: Path):
    listed = fitbench("runs", "--runs-dir", str(hostile))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[-1] == "4 runs, 2 incomplete"  # fifo-status and fifo-lock: no live process holds them
    for name in ("good", *DAMAGED):
        at = next(k for k, line in enumerate(lines) if line.endswith(str(hostile / name)))
        said = [line.strip() for line in takewhile(lambda line: line.startswith(" "), lines[at + 1:])]
        assert said == ([f"damaged: {DAMAGED[name]}"] if name in DAMAGED else []), (name, said)
    assert "root-link" not in listed.stdout and SECRET not in listed.stdout + listed.stderr
    assert listed.stderr == ""


@pytest.mark.parametrize("command", ["report", "diagnose"])
@pytest.mark.parametrize("name", ["fifo-status", "linked-metrics"])
def test_report_and_diagnose_refuse_a_hostile_folder_in_one_line(hostile: Path, command: str, name: str):
    answer = fitbench(command, str(hostile / name))
    assert answer.returncode == 2
    assert answer.stderr.strip().count("\n") == 0 and DAMAGED[name] in answer.stderr
    assert SECRET not in answer.stdout + answer.stderr and not (hostile / name / "report.html").exists()


def test_read_run_follows_no_link(hostile: Path):
    # FIFOs are tried only in subprocesses above: a regression would hang this process.
    linked = read_run(hostile / "linked-metrics")
    assert linked.metrics is None and linked.problems == [DAMAGED["linked-metrics"]]


def test_a_linked_lock_is_refused_not_created_outside(hostile: Path):
    target = hostile.parent / "outside" / "made-by-lock"
    (hostile / "good" / ".lock").symlink_to(target)
    with pytest.raises(FitbenchError, match="cannot write in this run folder"):
        acquire(hostile / "good")
    assert not target.exists()
