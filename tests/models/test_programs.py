"""Compiled programs shared by models of one architecture: shared only when that is safe, and
training or predicting through shared programs gives exactly what fresh programs give."""

from __future__ import annotations

import numpy as np
import pytest

import fitbench as fb
from fitbench._keras import keras
from fitbench.config import TrainingConfig
from fitbench.models import build_model, predict
from fitbench.models._programs import architecture_key, clear_programs, programs_for
from fitbench.training._compile import compile_model


@pytest.fixture(autouse=True)
def no_shared_programs():
    clear_programs()
    yield
    clear_programs()


def compiled(units: list[int], digits, learning_rate: float = 1e-3) -> keras.Model:
    model = build_model("mlp", digits, seed=3, units=units)
    compile_model(model, TrainingConfig(learning_rate=learning_rate), digits.x_train[:8])
    model._symbolic_build(data_batch=(digits.x_train[:1], digits.y_train[:1]))  # as fit() does
    return model


@pytest.mark.slow
def test_models_of_one_architecture_share_programs_and_others_do_not(digits):
    first, twin = compiled([16, 8], digits), compiled([16, 8], digits)  # different layer and optimizer names
    assert first.layers[1].name != twin.layers[1].name
    assert programs_for(first, training=True) is programs_for(twin, training=True)
    assert programs_for(compiled([8, 16], digits), training=True) is not programs_for(first, training=True)
    faster = compiled([16, 8], digits, learning_rate=1e-2)
    assert programs_for(faster, training=True) is not programs_for(first, training=True)
    assert programs_for(faster, training=False) is programs_for(first, training=False)  # the same forward pass


@pytest.mark.slow
def test_training_through_shared_programs_gives_the_same_run(digits, tmp_path):
    settings = {"epochs": 3, "batch_size": 16, "seed": 5, "verbose": False}
    first = fb.fit(build_model("mlp", digits, seed=3, units=[16]), digits, runs_dir=tmp_path / "a", **settings)
    shared = fb.fit(build_model("mlp", digits, seed=4, units=[16]), digits, runs_dir=tmp_path / "b", **settings)
    assert programs_for(shared.model, training=True).reference is first.model  # it ran on the first one's
    clear_programs()
    fresh = fb.fit(build_model("mlp", digits, seed=4, units=[16]), digits, runs_dir=tmp_path / "c", **settings)
    assert programs_for(fresh.model, training=True).reference is fresh.model
    assert shared.history == fresh.history and shared.history != first.history
    for mine, theirs in zip(shared.model.get_weights(), fresh.model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


def test_a_recompiled_reference_no_longer_serves_its_old_settings(digits):
    reference = compiled([16], digits)
    old = programs_for(reference, training=True)
    compile_model(reference, TrainingConfig(optimizer="sgd", learning_rate=0.1), digits.x_train[:8])
    reference._symbolic_build(data_batch=(digits.x_train[:1], digits.y_train[:1]))
    assert programs_for(compiled([16], digits), training=True) is not old


@pytest.mark.slow
def test_models_whose_config_may_not_say_what_they_compute_keep_their_own(digits):
    lambda_model = keras.Sequential([keras.Input(digits.input_shape), keras.layers.Flatten(),
                                     keras.layers.Lambda(lambda x: x * 2.0), keras.layers.Dense(10)])

    class Doubled(keras.Model):
        def __init__(self):
            super().__init__()
            self.flatten, self.dense = keras.layers.Flatten(), keras.layers.Dense(10)

        def call(self, x):
            return self.dense(self.flatten(x)) * 2.0

    for model in (lambda_model, Doubled()):
        model(digits.x_train[:1])
        assert architecture_key(model, training=False) is None
        assert programs_for(model, training=False) is programs_for(model, training=False)


@pytest.mark.parametrize("rows, batch_size", [(37, 1024), (100, 16)])
def test_predict_matches_keras_predict_for_any_split_size(digits, rows: int, batch_size: int):
    model = build_model("mlp", digits, seed=3, units=[16])
    x = digits.x_train[:rows]
    expected = model.predict(x, batch_size=batch_size, verbose=0)
    found = predict(model, x, batch_size=batch_size)
    assert found.shape == (rows, 10) and found.dtype == np.float64
    np.testing.assert_allclose(found, expected, rtol=1e-5, atol=1e-6)


def test_a_model_compiled_for_eager_execution_predicts_through_keras(digits):
    from fitbench.models import _programs

    model = build_model("mlp", digits, seed=3, units=[16])
    model.compile(loss="sparse_categorical_crossentropy", jit_compile=False)
    found = predict(model, digits.x_val)
    assert found.shape == (len(digits.y_val), 10) and not _programs._SHARED
    assert getattr(model, _programs._OWN, None) is None
