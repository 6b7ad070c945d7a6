"""Ctrl-C stops the program that called ``fb.fit``, not only the training: the run is saved
(interrupted, resumable), then ``fb.Interrupted`` (a KeyboardInterrupt) reaches the caller.

Until issue 25, ``fb.fit`` caught the signal and returned, and the program went on: four
SIGINTs and a SIGTERM did not stop a pytest session that trained.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fitbench.runs import run_state
from fitbench.training._checkpoint import CHECKPOINT

TRAINING = "TRAINING-NOW"

# A test file that trains far longer than any test waits (its first epoch says so on stdout),
# followed by a test that must not run once a person pressed Ctrl-C.
TRAINS = f'''
import os, pathlib
import numpy as np
import fitbench as fb
from fitbench._keras import keras

class Says(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            print("{TRAINING}", flush=True)

def test_trains():
    x = np.random.default_rng(0).random((40, 4)).astype("float32")
    y = np.arange(40) % 2
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    fb.fit(model, (x, y), validation_split=0.25, epochs=100_000, runs_dir=os.environ["RUNS"],
           verbose=False, callbacks=[Says()])

def test_after_the_interrupt():
    pathlib.Path(os.environ["AFTER"]).write_text("ran")
'''


@pytest.mark.slow  # a pytest subprocess that imports Keras and trains: 10 to 25 s
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_one_signal_stops_a_pytest_session_that_trains(tmp_path: Path, signum: signal.Signals):
    (tmp_path / "test_trains.py").write_text(TRAINS)
    env = {**os.environ, "RUNS": str(tmp_path / "runs"), "AFTER": str(tmp_path / "after")}
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider", str(tmp_path / "test_trains.py")],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    lines = []
    for line in process.stdout:  # ends when the process does, so this wait is bounded by it
        lines.append(line)
        if TRAINING in line:
            process.send_signal(signum)  # once
            break
    try:
        out, _ = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("one signal did not stop the pytest session: " + "".join(lines)[-2000:])
    out = "".join(lines) + out
    assert any(TRAINING in line for line in lines), out[-3000:]
    assert process.returncode == pytest.ExitCode.INTERRUPTED, (process.returncode, out[-3000:])
    assert "Interrupted: " in out and "training stopped" in out and not (tmp_path / "after").exists()
    (folder,) = (tmp_path / "runs").iterdir()
    assert run_state(folder) == "interrupted" and (folder / CHECKPOINT).is_file()  # resumable


@pytest.mark.slow  # a `fitbench train` subprocess: about 15 s
def test_ctrl_c_in_fitbench_train_saves_prints_the_run_and_exits_130(tmp_path: Path):
    process = subprocess.Popen(
        [sys.executable, "-m", "fitbench.cli", "train", "first", "--dataset", "digits", "--runs-dir",
         str(tmp_path), "--set", "training.epochs=100000"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    for line in process.stdout:  # bounded by the process: it ends when training does
        if "epoch 1/" in line:
            process.send_signal(signal.SIGINT)
            break
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 130, out[-3000:]
    (folder,) = tmp_path.iterdir()
    assert out.rstrip().splitlines()[-1] == str(folder) and "Traceback" not in out
    assert run_state(folder) == "interrupted" and (folder / CHECKPOINT).is_file()
