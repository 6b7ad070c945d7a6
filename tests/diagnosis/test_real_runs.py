"""The issue's checks on real MNIST (the shared 10,000 images): the course's scaling bug is
reported before training, the small-data run overfits and says when it began, and a healthy
early-stopped run produces no warnings."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import fitbench as fb
from tests.diagnosis.test_checks import TrainBegins, codes

pytestmark = pytest.mark.real_data


def mnist(shared_mnist, **options) -> fb.Dataset:
    images, labels = shared_mnist
    return fb.load_dataset("idx", images=str(images), labels=str(labels), train_size=6000, val_size=2000,
                           test_size=2000, seed=42, **options)


@pytest.mark.slow
def test_the_course_bug_through_fit(shared_mnist, runs_dir: Path):
    raw = mnist(shared_mnist, normalize=False, train_limit=1000, val_limit=200)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        probe = TrainBegins(caught)
        run = fb.fit(fb.build_model("first", raw), (raw.x_train / 255, raw.y_train),  # x_val left at 0..255
                     validation_data=(raw.x_val, raw.y_val), epochs=3, runs_dir=runs_dir, callbacks=[probe],
                     verbose=False)
    assert "error [scale_mismatch] the val inputs are on a different scale" in probe.before
    assert "train in [0, 1], val in [0, 255]" in probe.before
    found = fb.diagnose(run)  # afterwards, from the curves alone (the folder keeps no arrays)
    assert codes(found)[0] == "scale_mismatch" and "overfitting" not in codes(found)
    assert min(run.history["val_loss"]) > 5 * run.history["loss"][-1]


@pytest.mark.slow
def test_small_data_run_overfits_and_says_when(shared_mnist, runs_dir: Path):
    """The course's try 1: `first` on 1,000 training and 200 validation images, 25 epochs."""
    data = mnist(shared_mnist, train_limit=1000, val_limit=200)
    run = fb.fit(fb.build_model("first", data), data, epochs=25, runs_dir=runs_dir, verbose=False)
    found = {finding.code: finding for finding in run.diagnose()}
    overfitting = found["overfitting"]
    assert overfitting.severity == "warning" and not overfitting.numbers["caught"]
    began = overfitting.numbers["began_epoch"]
    assert 3 <= began <= 20 and f"began at epoch {began}" in overfitting.verdict
    val = run.history["val_loss"]
    assert min(val) == val[began - 2] and val[-1] > 1.1 * min(val)  # lowest just before it began
    assert run.history["accuracy"][-1] > 0.99 and overfitting.numbers["accuracy_gap"] > 0.05
    assert found["noisy_validation"].numbers["n"] == 200  # 200 images: about +/- 4 points


@pytest.mark.slow
def test_healthy_early_stopped_run_has_no_warnings(shared_mnist, runs_dir: Path, capsys):
    # Batch 32 and learning rate 1e-3 (not the course's 10 and 3e-4) so it converges in seconds.
    data = mnist(shared_mnist, train_limit=2000)
    run = fb.fit(fb.build_model("first", data), data, epochs=40, batch_size=32, learning_rate=1e-3,
                 early_stopping=2, runs_dir=runs_dir, verbose=False)
    assert run.metrics.stopped_early and run.metrics.epochs_run < 40
    assert "fitbench: " not in capsys.readouterr().err  # nothing found before training
    assert [f for f in run.diagnose() if f.severity != "info"] == []
