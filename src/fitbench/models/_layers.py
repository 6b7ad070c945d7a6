"""Build a ``keras.Sequential`` from a config's list of layer dicts (``model.layers``).

The dicts are validated by the config layer; here we apply the defaults, insert the
channel axis that Keras' image layers need, and turn Keras' build errors into
``ConfigError`` messages that point at the offending ``model.layers[i]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from fitbench._keras import keras
from fitbench.errors import ConfigError, did_you_mean

__all__ = ["build_from_layers", "LAYER_TYPES"]

Layer: TypeAlias = keras.layers.Layer
LayerSpec = dict[str, Any]

# Layers that expect (height, width, channels) per sample.
_IMAGE_LAYERS = frozenset({"random_flip", "random_rotation", "conv2d", "max_pooling2d"})


def _tuple(value: int | Sequence[int]) -> int | tuple[int, ...]:
    # YAML and JSON give lists; Keras wants ints or tuples.
    return value if isinstance(value, int) else tuple(value)


def _regularizer(spec: LayerSpec) -> keras.regularizers.Regularizer | None:
    l2 = spec.get("l2")
    return None if l2 is None else keras.regularizers.L2(l2)


def _dense(spec: LayerSpec) -> Layer:
    return keras.layers.Dense(
        spec["units"],
        activation=spec.get("activation", "relu"),
        kernel_regularizer=_regularizer(spec),
    )


def _conv2d(spec: LayerSpec) -> Layer:
    return keras.layers.Conv2D(
        spec["filters"],
        _tuple(spec.get("kernel_size", 3)),
        strides=_tuple(spec.get("strides", 1)),
        padding=spec.get("padding", "valid"),
        activation=spec.get("activation", "relu"),
        kernel_regularizer=_regularizer(spec),
    )


_MAKERS: dict[str, Callable[[LayerSpec], Layer]] = {
    "flatten": lambda s: keras.layers.Flatten(),
    "dense": _dense,
    "dropout": lambda s: keras.layers.Dropout(s["rate"]),
    "rescaling": lambda s: keras.layers.Rescaling(s["scale"], offset=s.get("offset", 0.0)),
    "random_flip": lambda s: keras.layers.RandomFlip(s.get("mode", "horizontal")),
    "random_rotation": lambda s: keras.layers.RandomRotation(s["factor"]),
    "reshape": lambda s: keras.layers.Reshape(tuple(s["target_shape"])),
    "conv2d": _conv2d,
    "max_pooling2d": lambda s: keras.layers.MaxPooling2D(_tuple(s.get("pool_size", 2))),
    "batch_norm": lambda s: keras.layers.BatchNormalization(),
}

LAYER_TYPES: tuple[str, ...] = tuple(_MAKERS)


def _keras_reason(error: Exception) -> str:
    """The first informative line of a Keras error, without its terminal colour codes."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("Exception encountered")]
    return lines[0] if lines else type(error).__name__


def _make_layer(index: int, spec: LayerSpec) -> Layer:
    kind = spec.get("type")
    if kind not in _MAKERS:
        raise ConfigError(
            f"model.layers[{index}]: got type {kind!r}, expected one of "
            f"{', '.join(LAYER_TYPES)}{did_you_mean(str(kind), LAYER_TYPES)}"
        )
    try:
        return _MAKERS[kind](spec)
    except (ValueError, TypeError) as error:
        raise ConfigError(
            f"model.layers[{index}] ({kind}): Keras rejected the settings {spec}: "
            f"{_keras_reason(error)}; fix that field"
        ) from error
    except KeyError as error:
        raise ConfigError(
            f"model.layers[{index}] ({kind}): missing the required field {error}; "
            f"add it, e.g. {{type: {kind}, {error.args[0]}: ...}}"
        ) from error


def _add(model: keras.Sequential, index: int, spec: LayerSpec, shape: tuple) -> tuple:
    """Add one layer (and a channel axis if needed); return the new per-sample shape."""
    if spec.get("type") in _IMAGE_LAYERS and len(shape) == 2:
        # Image layers need (height, width, channels): grayscale (28, 28) -> (28, 28, 1).
        shape = (*shape, 1)
        model.add(keras.layers.Reshape(shape))
    layer = _make_layer(index, spec)
    try:
        model.add(layer)
    except ValueError as error:
        raise ConfigError(
            f"model.layers[{index}] ({spec['type']}) cannot take the previous output of "
            f"shape {shape}: {_keras_reason(error)}; reorder or change the layers "
            "(e.g. put conv2d/max_pooling2d before flatten)"
        ) from error
    return tuple(model.output_shape[1:])


def _check_output(shape: tuple, num_classes: int) -> None:
    if shape != (num_classes,):
        raise ConfigError(
            f"model.layers: the last layer outputs shape {shape} but the data has "
            f"{num_classes} classes; end the list with "
            f"{{type: dense, units: {num_classes}, activation: softmax}}"
        )


def build_from_layers(
    layers: list[LayerSpec],
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    name: str = "custom",
) -> keras.Sequential:
    """Build a Sequential model from validated layer dicts, applying their defaults.

    Args:
        layers: dicts with a "type" key ("dense", "conv2d", ...) and that type's fields.
        input_shape: per-sample shape, e.g. (28, 28).
        num_classes: the model must end with an output of shape (None, num_classes).
        name: the model's name.

    Raises:
        ConfigError: naming ``model.layers[i]`` when Keras cannot build a layer, or
            ``model.layers`` when the output does not match the number of classes.
    """
    shape = tuple(input_shape)
    model = keras.Sequential([keras.Input(shape=shape)], name=name)
    for index, spec in enumerate(layers):
        shape = _add(model, index, spec, shape)
    _check_output(shape, num_classes)
    return model
