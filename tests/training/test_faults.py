"""Fault injection: signals at random moments, damaged checkpoints, a full disk, racing
commands. Every case ends with a complete folder that resumes bit for bit, or one line and
exit 2; none loses a run."""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import fitbench as fb
from fitbench.cli import main
from fitbench.config import Experiment, validate
from fitbench.runs import run_state
from fitbench.training import resume_run, run_experiment
from fitbench.training._checkpoint import CHECKPOINT
from tests.conftest import ROOT

SIGNALS_PER_ENGINE = 20


def experiment(engine: str, epochs: int = 3) -> Experiment:
    """Tiny: 100 digits, 10 batches an epoch, dropout so the random streams must carry over."""
    return validate(Experiment, {
        "name": f"faults-{engine}", "dataset": {"name": "digits", "seed": 0, "train_limit": 100, "val_limit": 50},
        "model": {"zoo": "dropout", "rate": 0.3},
        "training": {"epochs": epochs, "batch_size": 10, "seed": 5, "engine": engine},
    }, where="test")


def same_run(a: fb.Run, b: fb.Run) -> None:
    assert a.history == b.history
    for mine, theirs in zip(a.model.get_weights(), b.model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


def complete_folder(path: Path, state: str) -> None:
    assert run_state(path) == state
    assert all((path / name).is_file() for name in ("config.yaml", "history.csv", "metrics.json", "model.keras"))


@pytest.fixture
def caught() -> Iterator[list[int]]:
    """Signals that arrive while fitbench's handler is not installed are recorded, not fatal."""
    seen: list[int] = []
    previous = {signum: signal.signal(signum, lambda number, frame: seen.append(number))
                for signum in (signal.SIGINT, signal.SIGTERM)}
    yield seen
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def interrupt_at_random(engine: str, tmp_path: Path, seed: int) -> None:
    """SIGINT and SIGTERM from another thread at seeded random moments of training (timed
    against an uninterrupted run); each run must end complete, and resume to the same numbers."""
    run_experiment(experiment(engine), runs_dir=tmp_path / "warm-up", verbose=False)  # compiles
    start = time.perf_counter()
    whole = run_experiment(experiment(engine), runs_dir=tmp_path / "whole", verbose=False)
    span = time.perf_counter() - start
    rng = random.Random(seed)
    interrupted = 0
    for index in range(SIGNALS_PER_ENGINE):
        signum = (signal.SIGINT, signal.SIGTERM)[index % 2]
        timer = threading.Timer(rng.uniform(0.0, span), os.kill, (os.getpid(), signum))
        timer.start()
        run = run_experiment(experiment(engine), runs_dir=tmp_path / f"cut{index}", verbose=False)
        timer.join()
        if run.state == "interrupted":
            interrupted += 1
            complete_folder(run.path, "interrupted")
            assert run.metrics["interrupted"] == signal.Signals(signum).name
            run = resume_run(run.path, verbose=False)
        complete_folder(run.path, "complete")
        same_run(run, whole)
    assert interrupted >= SIGNALS_PER_ENGINE // 4  # most signals land in training, not only around it


def test_signals_at_random_moments_compiled(tmp_path: Path, caught: list[int]):
    interrupt_at_random("compiled", tmp_path, seed=1)


@pytest.mark.slow  # about 4 minutes: Keras traces each new model's train step again
def test_signals_at_random_moments_keras(tmp_path: Path, caught: list[int]):
    interrupt_at_random("keras", tmp_path, seed=2)
