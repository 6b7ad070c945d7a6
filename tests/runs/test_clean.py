"""Run folder locks and cleaning: a held lock means running, whatever status.json says;
cleaning removes only what holds nothing, and never a folder in use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fitbench.errors import FitbenchError
from fitbench.runs import run_state
from fitbench.runs._clean import clean
from fitbench.runs._folder import resumable
from fitbench.runs._lock import acquire, is_locked
from tests.conftest import ROOT


def folder(root: Path, name: str, status: str | None = '{"state": "running", "pid": 1, "host": "elsewhere"}',
           *files: str) -> Path:
    """A run folder as a killed run leaves it: config, a status, and the given files."""
    path = root / name
    path.mkdir(parents=True)
    (path / "config.yaml").write_text("name: x\ntraining: {epochs: 2}\n")
    if status is not None:
        (path / "status.json").write_text(status)
    for file in files:
        (path / file).write_bytes(b"x")
    return path


def test_a_held_lock_is_running_and_a_free_one_is_not(tmp_path: Path):
    run = folder(tmp_path, "run")
    assert run_state(run) == "incomplete"  # "running" by a pid on another host: the lock is free
    assert resumable(run) == run  # a copied folder resumes: no pid/host guess
    with acquire(run):
        assert is_locked(run) and run_state(run) == "running"
        with pytest.raises(FitbenchError, match="another process is training this run"):
            acquire(run)
        with pytest.raises(FitbenchError, match="another process is training this run"):
            resumable(run)
    assert not is_locked(run) and run_state(run) == "incomplete"


def test_the_kernel_releases_the_lock_of_a_killed_process(tmp_path: Path):
    run = folder(tmp_path, "run")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"from fitbench.runs._lock import acquire; lock = acquire({str(run)!r}); "
         "print('locked', flush=True); input()"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert run_state(run) == "running"
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert run_state(run) == "incomplete"


def test_is_locked_never_creates_a_lock_file(tmp_path: Path):
    run = folder(tmp_path, "run")
    assert not is_locked(run) and not (run / ".lock").exists()


def test_clean_removes_only_folders_that_hold_nothing(tmp_path: Path):
    empty = folder(tmp_path, "killed-early")
    trained = folder(tmp_path, "garbage-status", "{not json", "model.keras", "metrics.json")
    no_status = folder(tmp_path, "no-status", None, "model.keras", "metrics.json")
    resumable_run = folder(tmp_path, "has-checkpoint", '{"state": "running"}', "checkpoint.npz")
    complete = folder(tmp_path, "complete", '{"state": "complete"}', "model.keras")
    (complete / ".metrics.json.abc.tmp.json").write_bytes(b"half")  # a kill during a write
    done = clean([empty, trained, no_status, resumable_run, complete])
    assert done.removed == [empty] and not empty.exists()
    assert [path for path, _ in done.kept] == [trained, no_status, resumable_run]
    assert "holds a trained model; name it to remove it" in done.kept[0][1]
    assert "a checkpoint to resume from" in done.kept[2][1]
    assert done.leftovers == [complete / ".metrics.json.abc.tmp.json"]
    assert all(path.exists() for path in (trained, no_status, resumable_run, complete))


def test_clean_by_name_removes_a_trained_folder_but_never_a_locked_one(tmp_path: Path):
    trained = folder(tmp_path, "trained", '{"state": "complete"}', "model.keras", "checkpoint.npz")
    busy = folder(tmp_path, "busy")
    with acquire(busy):
        done = clean([trained, busy], named=True)
    assert done.removed == [trained] and not trained.exists()
    assert done.kept == [(busy, "another process is using it")] and busy.exists()


def test_clean_through_the_command(tmp_path: Path):
    runs = tmp_path / "runs"
    empty = folder(runs, "20000101-000000-killed")
    kept = folder(runs, "20000101-000001-trained", "{}", "model.keras")

    def fitbench(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "fitbench.cli", "runs", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)

    listed = fitbench("--runs-dir", str(runs), "--clean", "--yes")
    assert listed.returncode == 0, listed.stderr
    assert f"removed {empty}" in listed.stdout and f"kept {kept}: it holds a trained model" in listed.stdout
    named = fitbench("--clean", str(kept), "--yes")
    assert named.returncode == 0 and not kept.exists()
    missing = fitbench("--clean", str(tmp_path / "nope"), "--yes")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "no such run folder" in missing.stderr
