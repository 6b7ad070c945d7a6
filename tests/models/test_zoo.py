from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fitbench._keras import keras
from fitbench.errors import ConfigError
from fitbench.models import (
    build_model,
    count_params,
    describe_zoo,
    model_spec,
    zoo_names,
    zoo_options,
)

# Saving and get_weights go through np.array(jax_array), which NumPy 2 warns about.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

COURSE_COUNTS = [
    ("first", {}, 118_282),
    ("small", {}, 52_650),
    ("dropout", {}, 118_282),
    ("dropout", {"rate": 0.5}, 118_282),
    ("rescaling", {}, 118_282),
    ("functional", {}, 52_650),
    ("bypass", {}, 21_668_442),
    ("subclass", {}, 52_650),
    ("mlp", {"units": [32, 128, 64], "rescale": True}, 38_250),
    ("mlp", {"units": [128, 128, 64], "rescale": True}, 125_898),
    ("mlp", {"units": [64, 128], "rescale": True}, 59_850),
    ("mlp", {"units": [128, 32, 64], "rescale": True}, 107_370),
]
AUGMENTABLE = ["first", "small", "dropout"]


def _output_shape(model: keras.Model, input_shape: tuple[int, ...]) -> tuple:
    # compute_output_spec also works for the subclassed model, which has no output_shape.
    return tuple(model.compute_output_spec(keras.KerasTensor((None, *input_shape))).shape)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "options", "expected"), COURSE_COUNTS)
def test_course_parameter_counts(name: str, options: dict[str, Any], expected: int) -> None:
    model = build_model(name, **options)
    assert model.name == name
    assert count_params(model) == expected == model.count_params()


@pytest.mark.slow
@pytest.mark.parametrize("name", zoo_names())
def test_adapts_to_digits_shape_and_five_classes(name: str) -> None:
    model = build_model(name, input_shape=(8, 8), num_classes=5)
    assert _output_shape(model, (8, 8)) == (None, 5)
    assert model(np.zeros((2, 8, 8), "float32"), training=False).shape == (2, 5)


def test_data_object_supplies_shape_classes_and_pixel_max() -> None:
    class Digits:  # duck-typed stand-in for a fitbench Dataset
        input_shape = (8, 8)
        num_classes = 5
        pixel_max = 16.0

    model = build_model("rescaling", Digits())
    assert model.output_shape == (None, 5)
    assert model.layers[1].scale == pytest.approx(2 / 16)
    assert build_model("first", Digits(), num_classes=3).output_shape == (None, 3)


@pytest.mark.parametrize("name", AUGMENTABLE)
def test_augmentation_keeps_counts_and_is_a_no_op_at_inference(name: str) -> None:
    plain = build_model(name)
    augmented = build_model(name, augment=("flip", "rotation"))
    types = {type(layer) for layer in augmented.layers}
    assert {keras.layers.RandomFlip, keras.layers.RandomRotation} <= types
    assert count_params(augmented) == count_params(plain)
    augmented.set_weights(plain.get_weights())  # random layers hold no weights
    x = np.random.default_rng(0).random((4, 28, 28)).astype("float32")
    np.testing.assert_allclose(augmented(x, training=False), plain(x, training=False), rtol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("kind", [keras.layers.RandomFlip, keras.layers.RandomRotation])
def test_augmentation_changes_images_while_training(kind: type) -> None:
    model = build_model("first", augment=("flip", "rotation"))
    layer = next(layer for layer in model.layers if isinstance(layer, kind))
    x = np.random.default_rng(0).random((16, 28, 28, 1)).astype("float32")
    assert not np.allclose(layer(x, training=True), x)
    np.testing.assert_array_equal(layer(x, training=False), x)


def test_unknown_augmentation() -> None:
    with pytest.raises(ConfigError, match="got augment entry 'flop'.*did you mean 'flip'"):
        build_model("first", augment=["flop"])


@pytest.mark.parametrize(("name", "expected"), [("first", 3), ("mlp", 3), ("cnn", 4)])
def test_l2_adds_losses(name: str, expected: int) -> None:
    assert len(build_model(name, input_shape=(8, 8)).losses) == 0
    assert len(build_model(name, input_shape=(8, 8), l2=1e-4).losses) == expected


def test_dropout_layers_follow_each_hidden_layer() -> None:
    model = build_model("mlp", units=[32, 16], rate=0.3)
    dropouts = [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert [layer.rate for layer in dropouts] == [0.3, 0.3]


@pytest.mark.slow
def test_subclass_round_trips_through_a_keras_file(tmp_path: Path) -> None:
    model = build_model("subclass", input_shape=(8, 8), num_classes=5)
    path = tmp_path / "subclass.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model) and count_params(loaded) == count_params(model)
    x = np.random.default_rng(0).random((3, 8, 8)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.slow
def test_bypass_concatenates_reconstruction_and_input() -> None:
    model = build_model("bypass")
    concat = next(l for l in model.layers if isinstance(l, keras.layers.Concatenate))
    assert concat.output.shape == (None, 28, 56)


def test_bypass_needs_a_2d_input() -> None:
    with pytest.raises(ConfigError, match=r"bypass: got input_shape=\(784,\)"):
        build_model("bypass", input_shape=(784,))


def test_cnn_too_deep_for_the_image() -> None:
    with pytest.raises(ConfigError, match="pools the image down to nothing"):
        build_model("cnn", input_shape=(8, 8), filters=(4, 4, 4, 4))


def test_seed_makes_initial_weights_reproducible() -> None:
    first_a = build_model("small", seed=1).get_weights()
    first_b = build_model("small", seed=1).get_weights()
    other = build_model("small", seed=2).get_weights()
    for a, b in zip(first_a, first_b):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first_a[0], other[0])


def test_unknown_name_lists_names_and_closest() -> None:
    match = r"unknown model 'frist' \(did you mean 'first'\?\).*bypass"
    with pytest.raises(ConfigError, match=match):
        build_model("frist")


def test_unknown_option_lists_the_options() -> None:
    with pytest.raises(ConfigError) as info:
        build_model("first", rate=0.5)
    expected = (
        "build_model('first') got an unknown option 'rate'; "
        "'first' takes: augment, rotation, l2"
    )
    assert str(info.value) == expected


def test_options_and_descriptions_cover_the_zoo() -> None:
    assert zoo_options("dropout") == {"rate": 0.2, "augment": (), "rotation": 0.05, "l2": None}
    assert zoo_options("functional") == {}
    assert set(describe_zoo()) == set(zoo_names())


@pytest.mark.parametrize(("options", "match"), [
    ({"units": []}, "non-empty list of positive integers"),
    ({"rate": 1.0}, r"dropout rate in \[0, 1\)"),
    ({"pixel_max": 0}, "expected the largest pixel value"),
])
def test_bad_option_values(options: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        build_model("mlp", **options)


def test_cnn_takes_units_as_a_size_or_a_list() -> None:
    one = build_model("cnn", input_shape=(8, 8), units=16)
    two = build_model("cnn", input_shape=(8, 8), units=[16, 8])
    dense = [l for l in two.layers if isinstance(l, keras.layers.Dense)]
    assert [l.units for l in dense] == [16, 8, 10]
    assert count_params(two) > count_params(one)


def test_model_spec_records_how_a_model_was_built() -> None:
    class Digits:
        input_shape, num_classes, pixel_max = (8, 8), 5, 16.0

    model = build_model("rescaling", Digits(), rate=0.5)
    assert model_spec(model) == {"zoo": "rescaling", "rate": 0.5}  # pixel_max: from data
    augmented = build_model("small", augment=("rotation",))
    assert model_spec(augmented) == {"zoo": "small", "augment": ["rotation"]}
    assert model_spec(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])) is None
