"""``open_model``: a saved model comes back with exactly its saved weights, without the random
initial weights Keras would draw (and compile programs for) before replacing them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fitbench._keras import keras
from fitbench.models._safe_load import open_model


def saved_model(path: Path) -> Path:
    """A functional model with batch-norm statistics and a seeded dropout, trained a step, saved."""
    inputs = keras.Input((6, 6))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(8, activation="relu")(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dropout(0.5, seed=3)(x)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    model.fit(rng.random((16, 6, 6), dtype=np.float32), rng.integers(0, 3, 16), epochs=1, verbose=0)
    model.save(path)
    return path


def test_the_saved_weights_come_back_exactly(tmp_path: Path) -> None:
    path = saved_model(tmp_path / "model.keras")
    opened, loaded = open_model(path), keras.saving.load_model(path, compile=False)
    assert len(opened.variables) == len(loaded.variables) == 9  # with the norm's statistics and dropout's seed
    for mine, theirs in zip(opened.variables, loaded.variables, strict=True):
        assert np.array_equal(np.asarray(mine.value), np.asarray(theirs.value)), mine.path  # paths: Keras numbers them
    x = np.random.default_rng(1).random((4, 6, 6), dtype=np.float32)
    assert np.array_equal(opened.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_no_initializer_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = saved_model(tmp_path / "model.keras")
    drawn: list[object] = []
    original = keras.initializers.GlorotUniform.__call__
    monkeypatch.setattr(keras.initializers.GlorotUniform, "__call__",
                        lambda self, *a, **k: drawn.append(self) or original(self, *a, **k))
    keras.saving.load_model(path, compile=False)
    assert drawn  # the spy sees Keras' own load draw random weights
    drawn.clear()
    open_model(path)
    assert drawn == []


def test_a_failed_load_leaves_no_pending_variables(tmp_path: Path) -> None:
    (tmp_path / "model.keras").write_bytes(b"not a zip")
    with pytest.raises(Exception):  # noqa: B017  Keras' own error for a damaged file
        open_model(tmp_path / "model.keras")
    assert keras.Variable(np.ones(2)).numpy().tolist() == [1.0, 1.0]  # Keras works as before
