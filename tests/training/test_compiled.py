"""The compiled engine: the same training as keras.Model.fit, one XLA call per epoch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import TypeAdapter

import fitbench as fb
from fitbench._keras import keras
from fitbench.training import build_from_config
from fitbench.config import ModelConfig
from tests.conftest import digits_subset


COURSE_MODELS = [
    ("first", {}), ("small", {}), ("dropout", {"rate": 0.5}), ("rescaling", {}), ("functional", {}),
    ("bypass", {}), ("subclass", {}), ("mlp", {"units": [32, 16], "rescale": True}),
    ("first", {"augment": ["flip", "rotation"]}), ("small", {"augment": ["rotation"]}), ("first", {"l2": 1e-3}),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "options"), COURSE_MODELS, ids=lambda v: str(v))
def test_every_course_model_trains_compiled(digits, runs_dir: Path, name, options):
    data = digits_subset(digits, train=120, val=60)
    run = fb.fit(fb.build_model(name, data, **options), data, epochs=2, runs_dir=runs_dir, verbose=False)
    assert run.metrics.engine == "compiled"
    assert run.state == "complete" and np.isfinite(run.history["loss"]).all()
    # val_loss: no dropout or augmentation noise in it, so it falls epoch by epoch while the model learns
    assert run.history["val_loss"][1] < run.history["val_loss"][0]


def same_model_twice(config: dict, data, seed: int = 3) -> tuple[keras.Model, keras.Model]:
    spec = TypeAdapter(ModelConfig).validate_python(config)
    return build_from_config(spec, data, seed=seed), build_from_config(spec, data, seed=seed)


@pytest.mark.parametrize("config", [
    {"zoo": "first", "l2": 1e-3},
    {"layers": ["flatten", {"type": "dense", "units": 32}, "batch_norm",
                {"type": "dense", "units": 10, "activation": "softmax"}]},
], ids=["l2", "batch_norm"])
@pytest.mark.slow
def test_same_numbers_as_keras_fit_without_randomness(digits, runs_dir: Path, config):
    """No shuffling, no dropout: both engines do the same arithmetic on the same batches,
    the last partial batch included (305 images, batch 10: 31 steps)."""
    data = digits_subset(digits, train=305, val=200)
    compiled, plain = same_model_twice(config, data)
    settings = dict(epochs=2, batch_size=10, shuffle=False, runs_dir=runs_dir, verbose=False)
    a = fb.fit(compiled, data, engine="compiled", **settings)
    b = fb.fit(plain, data, engine="keras", **settings)
    assert a.metrics.engine == "compiled" and b.metrics.engine == "keras"
    for key in b.history:
        np.testing.assert_allclose(a.history[key], b.history[key], rtol=2e-4, err_msg=key)
    for mine, theirs in zip(compiled.get_weights(), plain.get_weights()):  # BatchNorm statistics too
        np.testing.assert_allclose(mine, theirs, rtol=1e-3, atol=1e-5)
    assert int(compiled.optimizer.iterations) == int(plain.optimizer.iterations) == 62


@pytest.mark.slow
def test_validation_in_stacked_batches_equals_keras_evaluate(digits, runs_dir: Path, monkeypatch):
    """Validation runs as stacks of EVAL_BATCH images plus the rest (200 = 3 x 64 + 8 here),
    made once per fit; its loss and accuracy are Keras' own over all 200 images."""
    from fitbench.training import _compiled

    monkeypatch.setattr(_compiled, "EVAL_BATCH", 64)
    data = digits_subset(digits, train=100, val=200)
    assert [tuple(x.shape[:2]) for x, _ in _compiled.eval_batches(data.x_val, data.y_val)] == [(3, 64), (1, 8)]
    model = fb.build_model("first", data, seed=1)
    run = fb.fit(model, data, epochs=1, runs_dir=runs_dir, verbose=False)
    loss, accuracy = model.evaluate(data.x_val, data.y_val, verbose=0)
    assert run.history["val_loss"][0] == pytest.approx(loss, rel=1e-5)
    assert run.history["val_accuracy"][0] == pytest.approx(accuracy, abs=1e-7)


@pytest.mark.slow
def test_random_layers_advance_their_seed_state(digits, runs_dir: Path):
    data = digits_subset(digits, val=200)
    model = fb.build_model("dropout", data, rate=0.5, augment=["rotation"])
    seeds_before = [np.array(v.value) for v in model.non_trainable_variables if "seed" in v.path]
    assert seeds_before  # Dropout and RandomRotation keep their random state as variables
    fb.fit(model, data, epochs=1, runs_dir=runs_dir, verbose=False)
    seeds_after = [np.array(v.value) for v in model.non_trainable_variables if "seed" in v.path]
    assert all((before != after).any() for before, after in zip(seeds_before, seeds_after))


@pytest.mark.slow
def test_compiled_runs_are_reproducible(digits, runs_dir: Path):
    data = digits_subset(digits, val=200)
    first, second = (fb.fit(fb.build_model("dropout", data, seed=5), data, seed=5, epochs=2,
                            runs_dir=runs_dir, verbose=False) for _ in range(2))
    assert first.history == second.history


@pytest.mark.slow
def test_accuracy_within_the_seed_spread_of_keras_fit(digits, runs_dir: Path):
    data = digits_subset(digits, train=400, val=300)
    scores = {engine: [fb.fit(fb.build_model("dropout", data, seed=seed), data, seed=seed, epochs=4,
                              engine=engine, runs_dir=runs_dir, verbose=False).history["val_accuracy"][-1]
                       for seed in (1, 2, 3)] for engine in ("compiled", "keras")}
    spread = max(max(v) - min(v) for v in scores.values()) + 1 / 300  # one image of slack
    assert abs(np.mean(scores["compiled"]) - np.mean(scores["keras"])) <= spread, scores


class OwnTrainStep(keras.Sequential):
    def train_step(self, *args, **kwargs):
        return super().train_step(*args, **kwargs)


@pytest.mark.slow
def test_convolutions_fall_back_to_keras_on_a_cpu(digits, runs_dir: Path, caplog):
    data = digits_subset(digits, train=120, val=60)
    with caplog.at_level("INFO", logger="fitbench"):
        run = fb.fit(fb.build_model("cnn", data), data, epochs=2, runs_dir=runs_dir, verbose=False)
    assert run.metrics.engine == "keras" and run.history["loss"][1] < run.history["loss"][0]
    assert "convolutions train about 5x faster per step" in caplog.text


@pytest.mark.slow
def test_a_custom_train_step_falls_back_to_keras_with_a_notice(digits, runs_dir: Path, caplog):
    data = digits_subset(digits, train=50, val=200)
    model = OwnTrainStep([keras.Input(data.input_shape), keras.layers.Flatten(),
                          keras.layers.Dense(10, activation="softmax")], name="own")
    with caplog.at_level("INFO", logger="fitbench"):  # a notice on the fitbench logger: the CLI prints it
        run = fb.fit(model, data, epochs=1, runs_dir=runs_dir, verbose=False)
    assert run.metrics.engine == "keras"
    assert "the compiled engine cannot train 'own': the model overrides train_step(); using engine: keras" in (
        caplog.text)


@pytest.mark.slow
def test_flags_after_fitbench_xla_flags_still_reach_xla(tmp_path: Path):
    # XLA stops reading XLA_FLAGS at the first word without `--`: a flag after ours must still count.
    import subprocess
    import sys

    from fitbench._keras import SINGLE_THREAD_XLA
    from fitbench.tuning._processes import single_threaded_xla_flags

    dump = tmp_path / "dump"
    flags = single_threaded_xla_flags(None) + f" --xla_dump_to={dump}"
    assert flags.startswith(SINGLE_THREAD_XLA)
    subprocess.run([sys.executable, "-c", "import jax; jax.jit(lambda x: x + 1)(1.0).block_until_ready()"],
                   env={"XLA_FLAGS": flags, "PATH": "/usr/bin:/bin"}, check=True, capture_output=True)
    assert dump.is_dir() and any(dump.iterdir()), "XLA ignored --xla_dump_to after fitbench's flags"
