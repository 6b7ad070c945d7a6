"""fb.fit: it is keras.Model.fit underneath, reproducible, interruptible, and leaves a
complete run folder that loads back."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest

import fitbench as fb
from fitbench._keras import keras
from fitbench.errors import ConfigError
from fitbench.runs import run_state
from fitbench.runs._folder import CONFIG, ENVIRONMENT, HISTORY, METRICS, MODEL, STATUS
from tests.conftest import digits_subset

SETTINGS = dict(epochs=3, batch_size=10, learning_rate=3e-4)


@pytest.mark.slow
def test_fit_writes_a_complete_run_folder(digits, runs_dir: Path):
    run = fb.fit(fb.build_model("first", digits, seed=1), digits, seed=1, runs_dir=runs_dir,
                 name="first-digits", verbose=False, **SETTINGS)
    for name in (CONFIG, HISTORY, METRICS, MODEL, ENVIRONMENT, STATUS):
        assert (run.path / name).is_file(), name
    assert run.path.parent == runs_dir and run.path.name.endswith("-first-digits")
    assert run.state == "complete"
    assert list(run.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(run.history["loss"]) == 3
    metrics = run.metrics
    assert metrics.parameters == fb.count_params(run.model) and metrics.epochs_run == 3
    assert set(metrics.splits) == {"train", "val", "test"}
    assert metrics.splits["val"].accuracy > 0.8  # digits are easy: 3 epochs suffice
    assert json.loads((run.path / ENVIRONMENT).read_text())["backend"] == "jax"


@pytest.mark.slow
def test_load_run_gives_everything_back(digits, runs_dir: Path):
    run = fb.fit(fb.build_model("small", digits), digits_subset(digits, train=400), runs_dir=runs_dir, verbose=False, **SETTINGS)
    same = fb.load_run(run.path)
    assert same.history == run.history  # exact: floats are written with repr
    assert same.metrics == run.metrics and same.config == run.config
    assert same.config["training"]["epochs"] == 3 and same.config["dataset"]["name"] == "arrays"
    probabilities = same.model.predict(digits.x_test[:20], verbose=0)
    np.testing.assert_allclose(probabilities, run.model.predict(digits.x_test[:20], verbose=0), rtol=1e-6)


def test_evaluate_reproduces_the_recorded_scores(digits, runs_dir: Path):
    run = fb.fit(fb.build_model("first", digits), digits, runs_dir=runs_dir, verbose=False, **SETTINGS)
    evaluation = run.evaluate("test")
    assert evaluation.split == "test" and evaluation.n == len(digits.y_test)
    recorded = run.metrics.splits["test"]
    assert evaluation.confusion_matrix == recorded.confusion_matrix
    assert evaluation.accuracy == recorded.accuracy and evaluation.macro_f1 == recorded.macro_f1
    assert np.trace(np.array(evaluation.confusion_matrix)) == round(evaluation.accuracy * evaluation.n)


@pytest.mark.slow
def test_same_history_as_plain_keras_fit(digits, runs_dir: Path):
    """fitbench's training is keras.Model.fit: same seed, data and settings, same numbers."""
    data = digits_subset(digits, train=400)
    run = fb.fit(fb.build_model("dropout", data, seed=7), data, seed=7, early_stopping=2, engine="keras",
                 runs_dir=runs_dir, verbose=False, **SETTINGS)

    model = fb.build_model("dropout", data, seed=7)
    model.compile(optimizer=keras.optimizers.Adam(3e-4), loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"])
    keras.utils.set_random_seed(7)
    history = model.fit(data.x_train, data.y_train, batch_size=10, epochs=3, shuffle=True, verbose=0,
                        validation_data=(data.x_val, data.y_val),
                        callbacks=[keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)])
    assert run.history == {key: [float(v) for v in values] for key, values in history.history.items()}
    np.testing.assert_array_equal(run.model.get_weights()[0], model.get_weights()[0])


def test_same_seed_same_history_other_seed_differs(digits, runs_dir: Path):
    data = digits_subset(digits, train=400)
    first, second, other = (
        fb.fit(fb.build_model("dropout", data, seed=seed), data, seed=seed, runs_dir=runs_dir, verbose=False, **SETTINGS)
        for seed in (3, 3, 4)
    )
    assert first.history == second.history
    assert first.history != other.history
    assert first.path != second.path  # same name, same second: still two folders


@pytest.mark.slow
def test_early_stopping_restores_the_best_epoch(digits, runs_dir: Path):
    data = digits_subset(digits, train=200)
    run = fb.fit(fb.build_model("first", data), data, epochs=40, batch_size=10, learning_rate=1e-2,
                 early_stopping={"patience": 1}, runs_dir=runs_dir, verbose=False)
    val_loss = run.history["val_loss"]
    best = run.metrics.best_epoch
    assert run.metrics.stopped_early and run.metrics.epochs_run < 40
    assert best == int(np.argmin(val_loss)) + 1
    # The saved model is the best epoch's, not the last one's.
    assert run.metrics.splits["val"].loss == pytest.approx(val_loss[best - 1], rel=1e-3)


@pytest.mark.slow
def test_arrays_with_validation_split_like_keras(digits, runs_dir: Path):
    x, y = digits.x_train[:300], digits.y_train[:300]
    run = fb.fit(fb.build_model("small", digits), (x, y), validation_split=0.2, runs_dir=runs_dir,
                 verbose=False, **SETTINGS)
    assert run.data.sizes() == {"train": 240, "val": 60, "test": 0}
    np.testing.assert_array_equal(run.data.x_val, x[240:])  # the last 20%, as Keras takes it
    assert set(run.metrics.splits) == {"train", "val"}


@pytest.mark.slow
def test_user_models_of_every_kind_train(digits, runs_dir: Path):
    data = digits_subset(digits, train=100)
    inputs = keras.Input(shape=data.input_shape)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(inputs))
    functional = keras.Model(inputs, outputs, name="mine")
    sequential = keras.Sequential([keras.Input(data.input_shape), keras.layers.Flatten(),
                                   keras.layers.Dense(10, activation="softmax")])
    for model in (functional, sequential, fb.build_model("subclass", data)):
        run = fb.fit(model, data, epochs=1, runs_dir=runs_dir, verbose=False)
        assert run.state == "complete" and len(run.history["loss"]) == 1
    assert fb.load_run(run.path).model.predict(data.x_test[:2], verbose=0).shape == (2, 10)
    assert fb.load_run(run.path).config["model"] == {"zoo": "subclass"}


def test_labels_outside_the_model_outputs_are_refused(digits, runs_dir: Path):
    model = fb.build_model("small", input_shape=(8, 8), num_classes=5)
    with pytest.raises(ConfigError, match=r"labels go up to 9 but the model has 5 outputs"):
        fb.fit(model, digits, runs_dir=runs_dir, verbose=False)
    assert not runs_dir.exists()


def test_wrong_input_shape_is_refused(digits, runs_dir: Path):
    with pytest.raises(ConfigError, match=r"takes inputs of shape \(28, 28\) but the digits images are \(8, 8\)"):
        fb.fit(fb.build_model("first"), digits, runs_dir=runs_dir, verbose=False)
    assert not runs_dir.exists()


def test_bad_training_argument_names_it(digits, runs_dir: Path):
    with pytest.raises(ConfigError, match=r"fit\(\): epochs: expected greater than 0, got -1"):
        fb.fit(fb.build_model("small", digits), digits, epochs=-1, runs_dir=runs_dir, verbose=False)
    assert not runs_dir.exists()


class SignalAt(keras.callbacks.Callback):
    """Sends a signal to this process during a chosen epoch: mid-epoch where the engine runs
    batch hooks (keras), at the epoch's end where it runs a whole epoch in one call (compiled)."""

    def __init__(self, signum: int, epoch: int, batch: int = 3) -> None:
        super().__init__()
        self.signum, self.epoch, self.batch, self.current = signum, epoch, batch, -1

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == self.batch:
            os.kill(os.getpid(), self.signum)

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch and not self.model.stop_training:
            os.kill(os.getpid(), self.signum)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["keras", "compiled"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_ends_training_early_and_keeps_a_loadable_run(digits, runs_dir: Path, signum, engine):
    data = digits_subset(digits, train=400)
    with pytest.raises(fb.Interrupted) as stopped:  # saved, then raised: the caller stops too
        fb.fit(fb.build_model("first", data), data, epochs=50, early_stopping=5, runs_dir=runs_dir,
               verbose=False, engine=engine, callbacks=[SignalAt(signum, epoch=1)])
    run = stopped.value.run
    assert isinstance(stopped.value, KeyboardInterrupt) and stopped.value.signal == signal.Signals(signum).name
    assert run.state == "interrupted" and run_state(run.path) == "interrupted"
    assert run.metrics.interrupted == signal.Signals(signum).name
    assert len(run.history["loss"]) == 2  # keras: epoch 2 cut short after its batch; compiled: after it
    loaded = fb.load_run(run.path)
    assert loaded.model.predict(data.x_test[:3], verbose=0).shape == (3, 10)
    assert signal.getsignal(signum) is not None and signal.getsignal(signum) != run  # handlers restored


def test_a_crash_marks_the_folder_failed(digits, runs_dir: Path):
    class Boom(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fb.fit(fb.build_model("small", digits), digits_subset(digits, train=400), epochs=2, runs_dir=runs_dir,
               verbose=False, callbacks=[Boom()])
    (folder,) = runs_dir.iterdir()
    assert run_state(folder) == "failed"
    assert (folder / HISTORY).is_file()  # the epoch it finished is kept
