"""SIGTERM at any moment of ``fitbench train --resume``: the command ends as Ctrl-C ends it (exit
130), and the run folder reads interrupted or incomplete with its checkpoint intact and resumable.

The moments are seeded and measured against the process's own output, not against a clock:
the k-th line of ``python -X importtime`` (one line per module, so the start-up: imports, data,
the model) or the k-th epoch line of the progress (training).
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import yaml

from fitbench.runs import run_state
from fitbench.runs._folder import resumable
from fitbench.training._checkpoint import CHECKPOINT
from tests.conftest import ROOT

EXPERIMENT = {
    "name": "terminate-me",
    "dataset": {"name": "digits", "seed": 0, "train_limit": 300},
    "model": {"zoo": "small"},
    "training": {"epochs": 200, "batch_size": 20, "seed": 1},  # never done before the signal comes
}
MOMENTS = 20


class Watched:
    """A ``fitbench`` process whose stdout and stderr lines are counted as they come."""

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "fitbench.cli", *args], cwd=ROOT,
                                        text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self.seen: dict[str, int] = {}  # import lines of each stream when the signal was sent
        self._changed = threading.Condition()
        self._readers = [threading.Thread(target=self._read, args=(name,), daemon=True) for name in self.lines]
        for reader in self._readers:
            reader.start()

    def _read(self, name: str) -> None:
        for line in getattr(self.process, name):
            with self._changed:
                self.lines[name].append(line)
                self._changed.notify_all()
        with self._changed:
            self.lines[name].append("")  # end of stream
            self._changed.notify_all()

    def count(self, name: str, prefix: str) -> int:
        return sum(line.startswith(prefix) for line in self.lines[name])

    def wait_for(self, name: str, prefix: str, count: int) -> None:
        """Until ``count`` lines of ``name`` start with ``prefix``; fails if the stream ends first."""
        with self._changed:
            self._changed.wait_for(lambda: self.count(name, prefix) >= count or "" in self.lines[name], timeout=300)
            assert self.count(name, prefix) >= count, "".join(self.lines["stderr"][-20:])

    def end(self) -> int:
        code = self.process.wait(timeout=300)
        for reader in self._readers:
            reader.join(timeout=60)
        return code

    def errors(self) -> str:
        return "".join(line for line in self.lines["stderr"] if not line.startswith("import time:"))


def terminate(folder: Path, stream: str, prefix: str, count: int) -> Watched:
    """``fitbench train --resume folder``, sent SIGTERM at the ``count``-th ``prefix`` line of ``stream``."""
    watched = Watched(["train", "--resume", str(folder), "--no-report"])
    watched.wait_for(stream, prefix, count)
    watched.seen = {name: watched.count(name, "import time:") for name in watched.lines}
    watched.process.send_signal(signal.SIGTERM)
    watched.end()
    return watched


def assert_intact(folder: Path) -> None:
    assert run_state(folder) in ("interrupted", "incomplete")
    assert resumable(folder) == folder
    with np.load(folder / CHECKPOINT, allow_pickle=False) as arrays:  # a whole zip, every array readable
        assert all(arrays[name].size >= 0 for name in arrays.files)


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder stopped by SIGTERM after its first epoch: state interrupted, with a checkpoint."""
    root = tmp_path_factory.mktemp("sigterm")
    experiment = root / "terminate.yaml"
    experiment.write_text(yaml.safe_dump(EXPERIMENT))
    watched = Watched(["train", str(experiment), "--runs-dir", str(root / "runs"), "--no-report"])
    watched.wait_for("stdout", "epoch ", 1)
    watched.process.send_signal(signal.SIGTERM)
    assert watched.end() == 130, watched.errors()
    (folder,) = (root / "runs").iterdir()
    assert run_state(folder) == "interrupted"
    return folder


def handled_from(watched: Watched) -> int:
    """How many import lines come before fitbench's handler is in place: those of Python's start-up
    and of the ``fitbench.cli`` package, whose ``run()`` installs it first thing."""
    imports = [line for line in watched.lines["stderr"] if line.startswith("import time:")]
    return next(index for index, line in enumerate(imports, start=1) if line.rstrip().endswith("| fitbench.cli"))


@pytest.mark.slow
def test_sigterm_at_any_moment_of_a_resume_leaves_the_run_resumable(interrupted: Path, tmp_path: Path):
    # The first resume is watched to its first epoch: its import lines until then are the
    # start-up, from which the other moments are drawn.
    first = terminate(shutil.copytree(interrupted, tmp_path / "0"), "stdout", "epoch ", 1)
    startup, handled = first.seen["stderr"], handled_from(first)
    rng = random.Random(28)
    moments = [("stderr", "import time:", rng.randint(1, startup)) for _ in range(MOMENTS - 5)]
    moments += [("stdout", "epoch ", rng.randint(1, 3)) for _ in range(4)]
    runs = [(first, 0)]
    for index, (stream, prefix, count) in enumerate(moments, start=1):
        watched = terminate(shutil.copytree(interrupted, tmp_path / str(index)), stream, prefix, count)
        runs.append((watched, count if stream == "stderr" else startup))
    for index, (watched, count) in enumerate(runs):
        assert_intact(tmp_path / str(index))
        if count > handled + 1:  # earlier, Python's default handler ends it: nothing was opened yet
            assert watched.process.returncode == 130, f"moment {index} ({count}): {watched.errors()}"
        assert "Traceback" not in watched.errors()
    # Resumable, not only by its look: the earliest and the latest moment's folders train on to the end.
    for folder in (tmp_path / "1", tmp_path / str(len(runs) - 1)):
        done = subprocess.run([sys.executable, "-m", "fitbench.cli", "train", "--resume", str(folder), "--quiet",
                               "--no-report", "--set", "training.epochs=6"], cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        assert run_state(folder) == "complete"
