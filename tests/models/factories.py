"""Model factories for the factory tests, imported by a "module:function" spec."""

from __future__ import annotations

from typing import Any

from fitbench._keras import keras

NOT_CALLABLE = 3


def make_model(input_shape: tuple[int, ...], num_classes: int, units: int = 16) -> keras.Model:
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            keras.layers.Flatten(),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )


def make_from_kwargs(**kwargs: Any) -> keras.Model:
    # **kwargs accepts everything: the builder must pass input_shape and num_classes.
    return make_model(kwargs["input_shape"], kwargs["num_classes"])


def make_fixed() -> keras.Model:
    # Takes nothing: the builder must not pass input_shape or num_classes.
    return make_model((8, 8), 5)


def make_dict(input_shape: tuple[int, ...], num_classes: int) -> dict[str, int]:
    return {"num_classes": num_classes}
