"""Resume: a run killed with SIGKILL continues from its last checkpoint and ends exactly
where an uninterrupted run with the same seed ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import fitbench as fb
from fitbench._keras import keras
from fitbench.errors import ConfigError, FitbenchError
from fitbench.runs import run_state
from fitbench.training._checkpoint import CHECKPOINT
from tests.conftest import ROOT, digits_subset

EXPERIMENT = {
    "name": "resume-me",
    "dataset": {"name": "digits", "seed": 0, "train_limit": 600},
    "model": {"zoo": "dropout", "rate": 0.3, "augment": ["rotation"]},  # random streams to carry over
    "training": {"epochs": 4, "batch_size": 10, "early_stopping": {"patience": 10}, "seed": 3},
}


def start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "fitbench.cli", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen) -> Path:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return Path(out.strip().splitlines()[-1])


def kill_after_epoch(process: subprocess.Popen, epoch: int) -> None:
    """Read the progress lines (no sleeping) and SIGKILL the process once `epoch` is done."""
    for line in process.stdout:
        if line.startswith(f"epoch {epoch}/"):
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["compiled", "keras"])
def test_sigkill_then_resume_matches_an_uninterrupted_run(tmp_path: Path, engine: str):
    document = {**EXPERIMENT, "training": {**EXPERIMENT["training"], "engine": engine}}
    experiment = tmp_path / "exp.yaml"
    experiment.write_text(yaml.safe_dump(document))
    runs = tmp_path / "runs"

    killed = start(["train", str(experiment), "--runs-dir", str(runs)])
    kill_after_epoch(killed, 2)
    (folder,) = runs.iterdir()
    assert run_state(folder) == "incomplete" and (folder / CHECKPOINT).is_file()

    resumed = finish(start(["train", "--resume", str(folder)]))
    whole = finish(start(["train", str(experiment), "--runs-dir", str(tmp_path / "whole"), "--quiet"]))
    assert resumed == folder and run_state(folder) == "complete"
    assert not (folder / CHECKPOINT).exists()

    a, b = fb.load_run(resumed), fb.load_run(whole)
    assert len(a.history["loss"]) == 4
    assert a.history == b.history  # bit for bit: same engine, same machine
    for mine, theirs in zip(a.model.get_weights(), b.model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    assert a.metrics.splits == b.metrics.splits


@pytest.mark.slow
def test_fit_resume_in_python(digits, runs_dir: Path):
    data = digits_subset(digits, test=False)

    class Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(fb.Interrupted) as stopped:
        fb.fit(fb.build_model("small", data, seed=2), data, epochs=4, seed=2, runs_dir=runs_dir,
               verbose=False, callbacks=[Stop()])
    first = stopped.value.run
    assert first.state == "interrupted" and len(first.history["loss"]) == 2
    with pytest.raises(ConfigError, match="cannot resume with training.batch_size=32: the run used 10"):
        fb.fit(fb.build_model("small", data, seed=2), data, epochs=4, seed=2, batch_size=32, resume=first.path)
    done = fb.fit(fb.build_model("small", data, seed=2), data, epochs=4, seed=2, resume=first.path, verbose=False)
    whole = fb.fit(fb.build_model("small", data, seed=2), data, epochs=4, seed=2, runs_dir=runs_dir, verbose=False)
    assert done.path == first.path and done.state == "complete"
    assert done.history == whole.history


# val_loss over epochs is unimodal and the same on every machine: every training image is the
# vector (1,) of class 0, so each Adam step moves the margin m = w0 - w1 of a zero-initialised
# softmax the same way, and the validation set, 3 of class 0 and 1 of class 1, is best at
# m = ln 3. With learning rate 0.3: val_loss 0.588, 0.563 (best), 0.597, 0.666, ...
_ONES = np.ones((4, 1), np.float32)
_TRAIN, _VAL = (_ONES, np.zeros(4, np.int64)), (_ONES, np.array([0, 0, 0, 1]))
_PAST_THE_BEST = {"epochs": 8, "batch_size": 4, "learning_rate": 0.3, "early_stopping": 2, "verbose": False}


def _margin_model() -> keras.Model:
    return keras.Sequential([keras.Input((1,)), keras.layers.Dense(
        2, activation="softmax", use_bias=False, kernel_initializer="zeros")])


class _InterruptAfter(keras.callbacks.Callback):
    """Ctrl-C after an epoch: the run ends, keeping that epoch's checkpoint."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["compiled", "keras"])
def test_early_stopping_after_a_resume_restores_the_best_weights_from_before_it(runs_dir: Path, engine: str):
    # Uninterrupted: best epoch 2, no better epoch 3 and 4, so patience 2 stops after epoch 4
    # and restores epoch 2's weights.
    whole = fb.fit(_margin_model(), _TRAIN, validation_data=_VAL, engine=engine, runs_dir=runs_dir, **_PAST_THE_BEST)
    assert (whole.metrics.epochs_run, whole.metrics.best_epoch, whole.metrics.stopped_early) == (4, 2, True)
    assert whole.evaluate("val").loss == pytest.approx(min(whole.history["val_loss"]), rel=1e-5)

    # Interrupted after epoch 3 (one epoch past the best), then resumed: epoch 4, the second
    # without improvement, must stop it, and the weights must be epoch 2's, not epoch 4's nor
    # those of the first epoch after the resume (Keras 3.6 forgot the best val_loss there).
    with pytest.raises(fb.Interrupted) as stopped:
        fb.fit(_margin_model(), _TRAIN, validation_data=_VAL, engine=engine, runs_dir=runs_dir,
               callbacks=[_InterruptAfter(2)], **_PAST_THE_BEST)
    first = stopped.value.run
    assert first.state == "interrupted" and len(first.history["loss"]) == 3
    resumed = fb.fit(_margin_model(), _TRAIN, validation_data=_VAL, engine=engine, resume=first.path,
                     **_PAST_THE_BEST)
    assert (resumed.metrics.epochs_run, resumed.metrics.best_epoch, resumed.metrics.stopped_early) == (4, 2, True)
    for mine, theirs in zip(fb.load_run(resumed.path).model.get_weights(), whole.model.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert resumed.history == whole.history


@pytest.mark.slow
def test_a_complete_run_is_not_resumed(digits, runs_dir: Path):
    run = fb.fit(fb.build_model("small", digits), digits, epochs=1, runs_dir=runs_dir, verbose=False)
    with pytest.raises(FitbenchError, match="this run is complete; there is nothing to resume"):
        fb.training.resume_run(run.path)


def test_resume_refuses_other_settings_on_the_command_line(tmp_path: Path, capsys):
    from fitbench.cli import main

    assert main(["train", "--resume", str(tmp_path), "--set", "training.batch_size=3"]) == 2
    assert "only --set training.epochs=N may change a resumed run" in capsys.readouterr().err
