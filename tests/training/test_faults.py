"""Fault injection: signals at random moments, damaged checkpoints, a full disk, racing
commands. Every case ends with a complete folder that resumes bit for bit, or one line and
exit 2; none loses a run."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
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
from tests.conftest import ROOT, copy_run

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
    # The compiled engine trains an epoch of this tiny set in milliseconds, so at 3 epochs only
    # about a quarter of a run was training (4 of 20 signals landed there once in CI): 8 epochs.
    epochs = 8 if engine == "compiled" else 3
    run_experiment(experiment(engine, epochs), runs_dir=tmp_path / "warm-up", verbose=False)  # compiles
    start = time.perf_counter()
    whole = run_experiment(experiment(engine, epochs), runs_dir=tmp_path / "whole", verbose=False)
    span = time.perf_counter() - start
    rng = random.Random(seed)
    interrupted = 0
    for index in range(SIGNALS_PER_ENGINE):
        signum = (signal.SIGINT, signal.SIGTERM)[index % 2]
        timer = threading.Timer(rng.uniform(0.0, span), os.kill, (os.getpid(), signum))
        timer.start()
        try:
            run = run_experiment(experiment(engine, epochs), runs_dir=tmp_path / f"cut{index}", verbose=False)
        except fb.Interrupted as stopped:  # saved (interrupted, or complete when it came while saving), then raised
            run = stopped.run
        timer.join()
        if run.state == "interrupted":
            interrupted += 1
            complete_folder(run.path, "interrupted")
            assert run.metrics.interrupted == signal.Signals(signum).name
            run = resume_run(run.path, verbose=False)
        complete_folder(run.path, "complete")
        same_run(run, whole)
    assert interrupted >= SIGNALS_PER_ENGINE // 4  # most signals land in training, not only around it


@pytest.mark.slow
def test_signals_at_random_moments_compiled(tmp_path: Path, caught: list[int]):
    interrupt_at_random("compiled", tmp_path, seed=1)


@pytest.mark.slow  # about 4 minutes: Keras traces each new model's train step again
def test_signals_at_random_moments_keras(tmp_path: Path, caught: list[int]):
    interrupt_at_random("keras", tmp_path, seed=2)


def _interrupt_after(epoch: int):
    from fitbench._keras import keras

    class Interrupt(keras.callbacks.Callback):
        """Ctrl-C, as a person would press it, at the end of epoch ``epoch`` (1-based)."""

        def on_epoch_end(self, index: int, logs: dict | None = None) -> None:
            if index + 1 == epoch:
                os.kill(os.getpid(), signal.SIGINT)

    return Interrupt()


@pytest.fixture(scope="module")
def cut(tmp_path_factory) -> tuple[Path, fb.Run]:
    """An interrupted run (2 of 3 epochs and a checkpoint), and the same run uninterrupted."""
    root = tmp_path_factory.mktemp("cut")
    whole = run_experiment(experiment("compiled"), runs_dir=root / "whole", verbose=False)
    with pytest.raises(fb.Interrupted) as stopped:
        run_experiment(experiment("compiled"), runs_dir=root / "cut", verbose=False, callbacks=[_interrupt_after(2)])
    run = stopped.value.run
    assert run.state == "interrupted" and (run.path / CHECKPOINT).is_file()
    return run.path, whole


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("fitbench: error: "), err
    return lines[0]


def _rewrite_checkpoint(path: Path, change) -> None:
    with np.load(path) as stored:
        arrays = {key: stored[key] for key in stored.files}
    change(arrays)
    np.savez(path, **arrays)


def _bad_random_state(arrays: dict) -> None:
    record = json.loads(str(arrays["record"]))
    record["numpy_state"] = ["MT19937", 7, 0.0]
    arrays["record"] = np.array(json.dumps(record))
    arrays["numpy_keys"] = arrays["numpy_keys"][:10]


DAMAGE = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "empty": lambda p: p.write_bytes(b""),
    "zip garbage": lambda p: p.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8),
    "bit flipped": lambda p: p.write_bytes(_flip(p.read_bytes())),
    "missing keys": lambda p: _rewrite_checkpoint(p, lambda a: a.pop("record")),
    "bad random state": lambda p: _rewrite_checkpoint(p, _bad_random_state),
}


def _flip(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x10]) + data[middle + 1:]


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_checkpoint_is_one_line(cut, tmp_path: Path, capsys, damage: str):
    folder = copy_run(cut[0], tmp_path)
    DAMAGE[damage](folder / CHECKPOINT)
    assert main(["train", "--resume", str(folder)]) == 2
    line = one_error_line(capsys)
    assert f"{folder / CHECKPOINT}: cannot read the checkpoint" in line and len(line) < 400
    assert run_state(folder) == "interrupted"  # untouched: it can still be read, or removed by name


def test_a_copied_folder_with_a_foreign_pid_resumes_exactly(cut, tmp_path: Path):
    folder = copy_run(cut[0], tmp_path)
    (folder / "status.json").write_text('{"state": "running", "pid": 1, "host": "another-machine"}')
    (folder / ".checkpoint.npz.x1y2.tmp.npz").write_bytes(b"half")  # a kill during a checkpoint write
    run = resume_run(folder, verbose=False)
    complete_folder(folder, "complete")
    same_run(run, cut[1])
    assert not list(folder.glob(".*.tmp*"))


def test_the_disk_filling_up_keeps_the_last_checkpoint(cut, tmp_path: Path, monkeypatch, capsys):
    import fitbench.training._checkpoint as checkpoint

    folder = copy_run(cut[0], tmp_path)
    real = checkpoint.np.savez

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    before = (folder / CHECKPOINT).read_bytes()
    monkeypatch.setattr(checkpoint.np, "savez", full)
    assert main(["train", "--resume", str(folder), "--set", "training.epochs=4", "--quiet"]) == 2
    line = one_error_line(capsys)
    assert "cannot write the run folder (No space left on device); its last checkpoint is intact" in line
    assert (folder / CHECKPOINT).read_bytes() == before and not list(folder.glob(".*.tmp*"))
    assert run_state(folder) == "failed"
    monkeypatch.setattr(checkpoint.np, "savez", real)
    assert resume_run(folder, epochs=3, verbose=False).state == "complete"


def test_a_folder_that_cannot_be_written_is_one_line(cut, tmp_path: Path, monkeypatch, capsys):
    folder = copy_run(cut[0], tmp_path)
    real_open = os.open

    def read_only(path, flags, *args):
        if str(path).endswith(".lock") and flags & os.O_CREAT:
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only)  # as root, chmod would not stop the writes
    assert main(["train", "--resume", str(folder)]) == 2
    assert "cannot write in this run folder (Read-only file system)" in one_error_line(capsys)


def test_resume_keeps_a_changed_epoch_count_and_refuses_fewer(cut, tmp_path: Path, capsys):
    folder = copy_run(cut[0], tmp_path)
    assert main(["train", "--resume", str(folder), "--set", "training.epochs=1"]) == 2
    assert "cannot resume with training.epochs=1: 2 epochs are already done" in one_error_line(capsys)
    # Resumed to 5, interrupted at 4: the next plain resume goes on to 5, as config.yaml now says.
    with pytest.raises(fb.Interrupted) as stopped:
        resume_run(folder, epochs=5, verbose=False, callbacks=[_interrupt_after(4)])
    run = stopped.value.run
    assert run.state == "interrupted" and "epochs: 5" in (folder / "config.yaml").read_text()
    assert len(resume_run(folder, verbose=False).history["loss"]) == 5


def test_clean_never_removes_a_run_being_resumed(cut, tmp_path: Path):
    from fitbench.runs._clean import clean
    from fitbench._keras import keras

    folder = copy_run(cut[0], tmp_path)
    (folder / "model.keras").unlink()  # nothing would protect it but the lock
    (folder / CHECKPOINT).unlink()
    (folder / "status.json").write_text('{"state": "running"}')
    seen = []

    class CleanMeanwhile(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            seen.append(clean([folder], named=True))  # another cleaner, as `fitbench runs --clean RUN` would

    run = resume_run(folder, verbose=False, callbacks=[CleanMeanwhile()])
    assert run.state == "complete" and folder.is_dir()
    assert all(done.removed == [] and done.kept == [(folder, "another process is using it")] for done in seen)


@pytest.mark.slow  # two fitbench processes
def test_two_resumes_at_once_train_once(cut, tmp_path: Path):
    folder = copy_run(cut[0], tmp_path)
    command = [sys.executable, "-m", "fitbench.cli", "train", "--resume", str(folder), "--set", "training.epochs=4"]
    both = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    results = [(process.wait(timeout=300), process.stderr.read()) for process in both]
    assert sorted(code for code, _ in results) == [0, 2], results
    (error,) = [err for code, err in results if code == 2]
    assert error.count("\n") == 1 and ("another process is training this run" in error
                                       or "this run is complete" in error)
    assert len(fb.load_run(folder).history["loss"]) == 4


@pytest.mark.slow
def test_a_loss_that_becomes_nan_stops_training_with_a_finding(digits, tmp_path: Path):
    from fitbench._keras import keras

    class Diverge(keras.callbacks.Callback):
        """The weights blow up in the second epoch, as with a far too large learning rate."""

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            if epoch == 1:
                self.model.set_weights([np.full_like(w, np.nan) for w in self.model.get_weights()])

    for engine in ("compiled", "keras"):
        model = fb.build_model("small", digits, seed=0)
        run = fb.fit(model, digits, epochs=4, engine=engine, runs_dir=tmp_path, verbose=False, callbacks=[Diverge()])
        assert run.state == "complete" and len(run.history["loss"]) == 2, engine
        assert np.isfinite(run.history["loss"][0]) and not np.isfinite(run.history["loss"][1])
        assert np.isfinite(run.metrics.splits["val"].loss)  # scored with the last finite weights
        assert "divergence" in [finding.code for finding in run.diagnose()]


def test_a_failure_after_training_marks_the_folder_failed(digits, tmp_path: Path):
    from fitbench._keras import keras

    # Outputs are NaN whatever the weights: training ends, then scoring fails.
    model = keras.Sequential([keras.Input(digits.input_shape), keras.layers.Flatten(),
                              keras.layers.Rescaling(float("inf")), keras.layers.Dense(10, activation="softmax")])
    with pytest.raises(ValueError):
        fb.fit(model, digits, epochs=1, runs_dir=tmp_path, verbose=False)
    (folder,) = tmp_path.iterdir()
    status = json.loads((folder / "status.json").read_text())
    assert run_state(folder) == "failed" and status["reason"].startswith("ValueError: Input contains NaN")


# Python's own path for a Ctrl-C that lands in JAX's gc callback: the callback raises, gc ignores it.
CTRL_C_IN_GC = """
import gc, sys
landed = []
def ctrl_c_in_a_gc_callback(phase, info):
    if "jax" in sys.modules and not landed:  # once the command works with JAX, as JAX's callback does
        landed.append(phase)
        raise KeyboardInterrupt
gc.callbacks.append(ctrl_c_in_a_gc_callback)
sys.argv = ["fitbench", *sys.argv[1:]]
from fitbench.cli import run
run()
"""


@pytest.mark.slow  # a subprocess that imports the course
def test_a_ctrl_c_that_lands_in_a_gc_callback_still_stops_the_command(tmp_path: Path):
    """Python ignores a KeyboardInterrupt raised in a gc callback ("Exception ignored in
    _xla_gc_callback"); 4 of 6 Ctrl-C presses during a command's imports landed there, and the
    command ran to the end with exit 0. It now stops with 130."""
    done = subprocess.run(
        [sys.executable, "-c", CTRL_C_IN_GC, "curriculum", "--dataset", "digits", "--quick", "--only",
         "try01-small-data", "-o", str(tmp_path / "course")],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 130, (done.returncode, done.stdout[-1000:], done.stderr[-2000:])
    assert done.stderr.rstrip().endswith("fitbench: interrupted") and "Exception ignored" not in done.stderr
    assert not (tmp_path / "course" / "try01-small-data").exists()  # stopped before training


@pytest.mark.slow  # a quick-course step in a subprocess: about 8 s
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds XLA's compile threads in /proc (Linux)")
def test_ctrl_c_while_xla_generates_code_exits_130_not_a_crash(tmp_path: Path):
    """Ctrl-C twice during the first compile, XLA's threads still generating code as the command
    exits: exit 130 and "interrupted". The exit used to run C++ static destructors under those
    threads: abort ("pure virtual method called", rc -6) or SIGSEGV (rc -11) at 0fd3a57."""
    from tests.training.ctrl_c_in_compile import SENT

    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "training" / "ctrl_c_in_compile.py"), "curriculum", "--dataset",
         "digits", "--quick", "--only", "try03-flip-rotation", "-o", str(tmp_path / "course")],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert SENT in done.stderr, done.stderr[-2000:]
    assert done.returncode == 130, (done.returncode, done.stderr[-2000:])
    assert done.stderr.rstrip().endswith("fitbench: interrupted") and "Traceback" not in done.stderr


@pytest.mark.slow  # a few subprocesses of the quick course
def test_ctrl_c_in_the_curriculum_always_exits_130(tmp_path: Path):
    """SIGINT after a seeded random number of output lines (every other try twice: stop at
    once); every try ends with rc 130 and "interrupted", never a crash (it once ended in SIGSEGV)."""
    rng = random.Random(7)
    for attempt in range(4):
        process = subprocess.Popen(
            [sys.executable, "-m", "fitbench.cli", "curriculum", "--dataset", "digits", "--quick",
             "--only", "try01,try02", "-o", str(tmp_path / f"c{attempt}")],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_lines, twice, sent = rng.randint(1, 3), attempt % 2 == 1, False
        for count, _ in enumerate(process.stdout, start=1):
            if count == wait_lines:
                process.send_signal(signal.SIGINT)
                if twice:
                    process.send_signal(signal.SIGINT)
                sent = True
                break
        out, _ = process.communicate(timeout=300)
        assert sent, f"try {attempt}: the course printed fewer than {wait_lines} lines"
        assert process.returncode == 130, (attempt, process.returncode, out[-2000:])
        assert "Traceback" not in out and "interrupted" in out
