from __future__ import annotations

import numpy as np
import pytest

from fitbench._keras import keras
from fitbench.errors import ConfigError
from fitbench.models import build_from_layers, count_params, model_spec

HEAD = {"type": "dense", "units": 10, "activation": "softmax"}


def test_mlp_from_layers_matches_first() -> None:
    layers = [
        {"type": "flatten"},
        {"type": "dense", "units": 128},
        {"type": "dropout", "rate": 0.2},
        {"type": "dense", "units": 128},
        HEAD,
    ]
    model = build_from_layers(layers, (28, 28), 10, name="mine")
    assert model.name == "mine"
    assert count_params(model) == 118_282
    assert model.layers[1].activation is keras.activations.relu  # default applied


@pytest.mark.slow
def test_cnn_gets_a_channel_axis_inserted() -> None:
    layers = [{"type": "conv2d", "filters": 8}, {"type": "max_pooling2d"}, {"type": "flatten"}]
    layers.append(HEAD)
    model = build_from_layers(layers, (28, 28), 10)
    reshape, conv = model.layers[:2]
    assert isinstance(reshape, keras.layers.Reshape)
    assert reshape.output.shape == (None, 28, 28, 1)
    assert conv.output.shape == (None, 26, 26, 8)  # defaults: kernel 3, padding "valid"
    assert model.output_shape == (None, 10)


@pytest.mark.slow
def test_every_layer_type_builds() -> None:
    layers = [
        {"type": "rescaling", "scale": 1 / 255},
        {"type": "random_flip"},
        {"type": "random_rotation", "factor": 0.05},
        {"type": "conv2d", "filters": 4, "kernel_size": [3, 3], "padding": "same", "l2": 1e-4},
        {"type": "batch_norm"},
        {"type": "max_pooling2d", "pool_size": 2},
        {"type": "reshape", "target_shape": [16, 4]},
        {"type": "flatten"},
        {"type": "dense", "units": 3, "activation": "softmax", "l2": 1e-4},
    ]
    model = build_from_layers(layers, (8, 8), 3)
    assert model(np.zeros((2, 8, 8)), training=False).shape == (2, 3)
    assert len(model.losses) == 2


def test_last_layer_mismatch_names_the_fix() -> None:
    layers = [{"type": "flatten"}, {"type": "dense", "units": 128}]
    expected = (
        "model.layers: the last layer outputs shape (128,) but the data has 10 classes; "
        "end the list with {type: dense, units: 10, activation: softmax}"
    )
    with pytest.raises(ConfigError) as info:
        build_from_layers(layers, (28, 28), 10)
    assert str(info.value) == expected


def test_conv2d_after_flatten_names_the_layer() -> None:
    layers = [{"type": "flatten"}, {"type": "conv2d", "filters": 8}, {"type": "flatten"}, HEAD]
    with pytest.raises(ConfigError, match=r"model\.layers\[1\] \(conv2d\).*\(784,\)"):
        build_from_layers(layers, (28, 28), 10)


def test_bad_setting_names_the_layer() -> None:
    with pytest.raises(ConfigError, match=r"model\.layers\[0\] \(dense\).*relux"):
        build_from_layers([{"type": "dense", "units": 10, "activation": "relux"}], (4,), 10)


def test_model_spec_keeps_the_layer_list() -> None:
    layers = [{"type": "flatten"}, HEAD]
    assert model_spec(build_from_layers(layers, (4,), 10)) == {"layers": layers}
