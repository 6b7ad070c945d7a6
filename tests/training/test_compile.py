"""Models as Keras users write them: outputs that are logits (no softmax), models compiled with
their own optimizer, loss and metrics. fit() trains them as compiled, scores probabilities, and
records what it used in config.yaml."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pytest

import fitbench as fb
from fitbench._keras import keras
from fitbench.errors import ConfigError
from fitbench.models import predict

QUICK = dict(epochs=2, batch_size=32, verbose=False)


def logits_model(digits) -> keras.Model:
    """The issue's model: a Dense layer without softmax, as Keras' own examples write it."""
    keras.utils.set_random_seed(1)
    return keras.Sequential([keras.Input(digits.input_shape), keras.layers.Flatten(), keras.layers.Dense(10)])


def sgd_compiled(digits, loss: object = "sparse_categorical_crossentropy") -> keras.Model:
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input(digits.input_shape), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss, metrics=["accuracy"])
    return model


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["compiled", "keras"])
def test_a_model_that_outputs_logits_trains_and_is_scored_on_probabilities(digits, runs_dir: Path, engine: str):
    run = fb.fit(logits_model(digits), digits, runs_dir=runs_dir, engine=engine, learning_rate=0.01, **QUICK)
    assert run.state == "complete"
    assert run.config["compiled"]["from_logits"] is True
    assert run.config["compiled"]["loss"] == "sparse_categorical_crossentropy"
    val = run.metrics.splits["val"]
    assert val.accuracy > 0.7 and 0.0 < val.loss < 2.0  # trained with the matching loss
    saved = fb.load_run(run.path)  # model.keras keeps from_logits: it predicts probabilities again
    probabilities = predict(saved.model, digits.x_test)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert probabilities.min() >= 0.0
    assert saved.evaluate("val").accuracy == pytest.approx(val.accuracy)


def test_a_logits_model_compiled_with_from_logits_keeps_its_loss(digits, runs_dir: Path):
    model = logits_model(digits)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    run = fb.fit(model, digits, runs_dir=runs_dir, **QUICK)
    assert run.config["compiled"]["from_logits"] is True
    assert list(run.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]  # accuracy added: views need it


def test_a_logits_model_compiled_without_from_logits_is_trained_with_it(digits, runs_dir: Path):
    model = logits_model(digits)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    with pytest.warns(UserWarning, match="outputs logits"):
        run = fb.fit(model, digits, runs_dir=runs_dir, **QUICK)
    assert run.config["compiled"]["from_logits"] is True and run.state == "complete"


@pytest.mark.slow
def test_a_subclassed_model_with_softmax_in_call_is_not_taken_for_logits(digits, runs_dir: Path):
    class Softmaxed(keras.Model):
        def __init__(self):
            super().__init__()
            self.flatten, self.dense = keras.layers.Flatten(), keras.layers.Dense(10)  # linear: the softmax is in call

        def call(self, x, training=None):
            return keras.ops.softmax(self.dense(self.flatten(x)))

    run = fb.fit(Softmaxed(), digits, runs_dir=runs_dir, learning_rate=0.01, **QUICK)
    assert run.config["compiled"]["from_logits"] is False
    assert run.metrics.splits["val"].accuracy > 0.7


@pytest.mark.parametrize("engine", ["compiled", "keras"])
def test_a_compiled_models_optimizer_is_used_and_recorded(digits, runs_dir: Path, engine: str):
    model = sgd_compiled(digits)
    run = fb.fit(model, digits, runs_dir=runs_dir, engine=engine, **QUICK)
    assert type(model.optimizer).__name__ == "SGD"
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1)
    assert int(model.optimizer.iterations) > 0  # it is the optimizer that trained
    assert run.config["compiled"] == {"optimizer": "SGD", "learning_rate": 0.1,
                                      "loss": "sparse_categorical_crossentropy", "from_logits": False}
    assert run.config["training"]["optimizer"] is None  # asked for nothing: the model's own


@pytest.mark.slow
def test_the_call_overrides_a_compiled_models_optimizer(digits, runs_dir: Path):
    faster = fb.fit(sgd_compiled(digits), digits, runs_dir=runs_dir, learning_rate=0.01, **QUICK)
    assert faster.config["compiled"]["optimizer"] == "SGD" and faster.config["compiled"]["learning_rate"] == 0.01
    adam = fb.fit(sgd_compiled(digits), digits, runs_dir=runs_dir, optimizer="adam", **QUICK)
    assert adam.config["compiled"]["optimizer"] == "Adam" and adam.config["compiled"]["learning_rate"] == 0.0003
    plain = fb.fit(fb.build_model("small", digits), digits, runs_dir=runs_dir, **QUICK)  # uncompiled: the course's
    assert plain.config["compiled"] == {"optimizer": "Adam", "learning_rate": 0.0003,
                                        "loss": "sparse_categorical_crossentropy", "from_logits": False}


def test_categorical_crossentropy_trains_as_its_sparse_twin_on_class_numbers(digits, runs_dir: Path):
    run = fb.fit(sgd_compiled(digits, loss="categorical_crossentropy"), digits, runs_dir=runs_dir, **QUICK)
    assert run.config["compiled"]["loss"] == "sparse_categorical_crossentropy" and run.state == "complete"
    smoothed = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)
    with pytest.raises(ConfigError, match="categorical_crossentropy with label_smoothing"):
        fb.fit(sgd_compiled(digits, loss=smoothed), digits, runs_dir=runs_dir / "smoothed", **QUICK)
    assert not (runs_dir / "smoothed").exists()


def test_one_hot_labels_with_categorical_crossentropy_train(digits, runs_dir: Path):
    """Issue 25: one-hot labels were refused even with the loss made for them."""
    one_hot = np.eye(10, dtype="float32")
    data = ((digits.x_train, one_hot[digits.y_train]), (digits.x_val, one_hot[digits.y_val]))
    run = fb.fit(sgd_compiled(digits, loss="categorical_crossentropy"), data[0], validation_data=data[1],
                 runs_dir=runs_dir, **QUICK)
    assert run.state == "complete" and run.metrics.splits["val"].n == len(digits.y_val)
    assert (run.data.y_train == digits.y_train).all()


def test_a_compiled_model_resumes_with_its_optimizer_and_not_another(digits, runs_dir: Path):
    class Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(fb.Interrupted) as stopped:
        fb.fit(sgd_compiled(digits), digits, runs_dir=runs_dir, callbacks=[Stop()], **QUICK)
    first = stopped.value.run
    assert first.state == "interrupted"
    other = sgd_compiled(digits)
    other.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ConfigError, match="cannot resume with optimizer='Adam': the run used 'SGD'"):
        fb.fit(other, digits, resume=first.path, **QUICK)
    done = fb.fit(sgd_compiled(digits), digits, resume=first.path, **QUICK)
    assert done.state == "complete" and len(done.history["loss"]) == 2
