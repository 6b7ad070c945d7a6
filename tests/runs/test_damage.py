"""Run folders that are damaged, killed, or cannot be written: say what is wrong, carry on,
and never leave a half-written folder."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import fitbench as fb
from fitbench.cli import main
from fitbench.errors import FitbenchError
from fitbench.runs._listing import find_runs
from tests.conftest import ROOT, copy_run


@pytest.fixture
def finished(tiny_run: Path) -> Path:
    return tiny_run  # 3 epochs


def damaged_copy(finished: Path, tmp_path: Path) -> Path:
    return copy_run(finished, tmp_path)


def test_truncated_history_keeps_the_intact_epochs(finished: Path, tmp_path: Path):
    run = damaged_copy(finished, tmp_path)
    text = (run / "history.csv").read_text()
    (run / "history.csv").write_text(text[: len(text) - 25])  # cut inside the last row
    loaded = fb.load_run(run)
    assert len(loaded.history["loss"]) == 2
    assert loaded.problems == ["history.csv is damaged at epoch row 3 (truncated?); kept 2 epochs"]
    assert loaded.metrics.epochs_run == 3  # the rest of the folder still reads


def test_corrupted_metrics_and_missing_model(finished: Path, tmp_path: Path, capsys):
    run = damaged_copy(finished, tmp_path)
    (run / "metrics.json").write_text('{"parameters": 12')
    (run / "model.keras").unlink()
    loaded = fb.load_run(run)
    assert loaded.record.metrics is None and len(loaded.history["loss"]) == 3
    assert any(problem.startswith("metrics.json is damaged") for problem in loaded.problems)
    assert "model.keras is missing: the trained model is lost" in loaded.problems
    assert main(["evaluate", str(run)]) == 2
    err = capsys.readouterr().err
    assert "warning:" in err and "metrics.json is damaged" in err and "no model.keras in this run folder" in err
    assert main(["runs", "--runs-dir", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out
    assert "damaged: model.keras is missing" in out and "1 runs, 0 incomplete" in out


def test_runs_lists_states_and_clean_removes_only_incomplete(finished: Path, tmp_path: Path, capsys):
    complete = damaged_copy(finished, tmp_path)
    killed = tmp_path / "runs" / "20000101-000000-killed"
    shutil.copytree(finished, killed)
    (killed / "status.json").write_text('{"state": "running", "pid": 999999999, "host": "%s"}' % os.uname().nodename)
    (killed / "metrics.json").unlink()
    (killed / "model.keras").unlink()  # killed before saving: a folder with a model is never cleaned
    states = {entry.path.name: entry.state for entry in find_runs(tmp_path / "runs")}
    assert states == {complete.name: "complete", killed.name: "incomplete"}
    assert main(["runs", "--runs-dir", str(tmp_path / "runs"), "--clean"]) == 0  # no terminal: asks, refuses
    assert killed.exists() and "nothing removed" in capsys.readouterr().out
    assert main(["runs", "--runs-dir", str(tmp_path / "runs"), "--clean", "--yes"]) == 0
    assert not killed.exists() and complete.exists()


def test_runs_through_subprocess(finished: Path):
    listed = subprocess.run([sys.executable, "-m", "fitbench.cli", "runs", "--runs-dir", str(finished.parent)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0].startswith("complete      3 epochs")


def test_read_only_runs_directory_fails_before_training(digits, tmp_path: Path, monkeypatch):
    real_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if self.parent.name == "runs":
            raise OSError(errno.EROFS, "Read-only file system")
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    with pytest.raises(FitbenchError, match="cannot create a run folder: Read-only file system; .*runs_dir="):  # Python spells it
        fb.fit(fb.build_model("small", digits), digits, epochs=1, runs_dir=tmp_path / "runs", verbose=False)
    assert list((tmp_path / "runs").iterdir()) == []


def sys_is_read_only() -> bool:
    try:
        os.mkdir("/sys/fitbench-probe")
    except OSError:
        return True
    os.rmdir("/sys/fitbench-probe")
    return False


@pytest.mark.skipif(not sys_is_read_only(), reason="/sys is writable here, so it is no read-only directory")
def test_a_real_unwritable_directory(digits, capsys):
    experiment = {"name": "x", "dataset": {"name": "digits"}, "model": {"zoo": "small"}, "training": {"epochs": 1}}
    path = Path(os.environ.get("TMPDIR", "/tmp")) / "fitbench-ro-test.yaml"
    path.write_text(yaml.safe_dump(experiment))
    assert main(["train", str(path), "--runs-dir", "/sys/fitbench-runs"]) == 2
    assert "cannot create the runs directory" in capsys.readouterr().err


def test_disk_full_fails_before_training(digits, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(FitbenchError, match=r"only 0.0 MB free, and this run needs about 1.5 MB \(model and checkpoint\)"):
        fb.fit(fb.build_model("first", digits), digits, epochs=1, runs_dir=tmp_path / "runs", verbose=False)
    assert list((tmp_path / "runs").iterdir()) == []


def test_a_write_failure_mid_setup_leaves_no_folder(digits, tmp_path: Path, monkeypatch):
    from fitbench import _io

    def full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_io, "write_text", full)
    with pytest.raises(FitbenchError, match="No space left on device"):
        fb.fit(fb.build_model("small", digits), digits, epochs=1, runs_dir=tmp_path / "runs", verbose=False)
    assert list((tmp_path / "runs").iterdir()) == []


@pytest.mark.slow
def test_two_processes_in_one_runs_directory_never_collide(tmp_path: Path):
    experiment = {"name": "same", "dataset": {"name": "digits", "train_limit": 100}, "model": {"zoo": "small"},
                  "training": {"epochs": 1}}
    path = tmp_path / "same.yaml"
    path.write_text(yaml.safe_dump(experiment))
    command = [sys.executable, "-m", "fitbench.cli", "train", str(path), "--runs-dir", str(tmp_path / "runs"), "--quiet"]
    processes = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    folders = {out.strip().splitlines()[-1] for out, _ in outputs}
    assert len(folders) == 2
    assert sorted(entry.state for entry in find_runs(tmp_path / "runs")) == ["complete", "complete"]
