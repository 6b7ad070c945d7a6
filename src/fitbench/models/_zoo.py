"""The course's models, one builder function each, plus the tuning MLP and a small CNN.

Every builder has the signature ``name(input_shape, num_classes, *, options...)`` and
returns a built, named ``keras.Model``: it starts from ``keras.Input(shape=input_shape)``,
so ``count_params()`` works at once. For MNIST, (28, 28) and 10 classes, the parameter
counts equal the course's table exactly (see ``/work/shared/notebook.md``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from fitbench._keras import keras
from fitbench.config import ZOO_MODELS
from fitbench.errors import ConfigError, did_you_mean

__all__ = ["ZOO", "DESCRIPTIONS", "SmallNet", "AUGMENTATIONS"]

Layer: TypeAlias = keras.layers.Layer

AUGMENTATIONS = ("flip", "rotation")


# ---------------------------------------------------------------- messages and checks


def _check_rate(model: str, rate: float) -> None:
    if not 0 <= rate < 1:
        raise ConfigError(
            f"{model}: got rate={rate!r}, expected a dropout rate in [0, 1); "
            "use e.g. rate=0.2 (the course uses 0.2 and 0.5)"
        )


def _check_sizes(model: str, option: str, sizes: object) -> tuple[int, ...]:
    """``sizes`` as a tuple of positive integers; any other value (a user's option) is a ``ConfigError``."""
    values = tuple(sizes) if isinstance(sizes, Sequence) and not isinstance(sizes, str) else ()
    # numbers.Integral also admits NumPy integers (e.g. from a search space).
    if not values or not all(isinstance(v, numbers.Integral) and int(v) > 0 for v in values):
        raise ConfigError(
            f"{model}: got {option}={sizes!r}, expected a non-empty list of positive "
            f"integers; use e.g. {option}=(128, 128)"
        )
    return tuple(int(v) for v in values)


def _check_pixel_max(model: str, pixel_max: float) -> None:
    if not pixel_max > 0:
        raise ConfigError(
            f"{model}: got pixel_max={pixel_max!r}, expected the largest pixel value (> 0); "
            "use 255.0 for raw uint8 images or 1.0 for images already scaled to 0..1"
        )


def _check_image_shape(model: str, input_shape: tuple[int, ...], why: str) -> None:
    if len(input_shape) not in (2, 3):
        raise ConfigError(
            f"{model}: got input_shape={input_shape}, expected an image shape "
            f"(height, width) or (height, width, channels) because {why}; "
            "use an image dataset or a model without this part"
        )


# ---------------------------------------------------------------- shared pieces


def _regularizer(l2: float | None) -> keras.regularizers.Regularizer | None:
    return None if l2 is None else keras.regularizers.L2(l2)


def _dense(units: int, activation: str, l2: float | None) -> Layer:
    return keras.layers.Dense(units, activation=activation, kernel_regularizer=_regularizer(l2))


def _head(num_classes: int, l2: float | None) -> Layer:
    return _dense(num_classes, "softmax", l2)


def _hidden(units: Sequence[int], l2: float | None, rate: float | None = None) -> list[Layer]:
    """Dense relu layers, each followed by Dropout(rate) unless rate is None."""
    layers: list[Layer] = []
    for size in units:
        layers.append(_dense(size, "relu", l2))
        if rate is not None:
            layers.append(keras.layers.Dropout(rate))
    return layers


def _channels(input_shape: tuple[int, ...]) -> list[Layer]:
    # Keras' image layers need a channel axis: (28, 28) -> (28, 28, 1).
    if len(input_shape) == 2:
        return [keras.layers.Reshape((*input_shape, 1))]
    return []


def _augmentation(
    model: str, input_shape: tuple[int, ...], augment: Sequence[str], rotation: float
) -> list[Layer]:
    """Random image layers (active only while training) to put right after the Input."""
    names = [augment] if isinstance(augment, str) else list(augment)
    for name in names:
        if name not in AUGMENTATIONS:
            raise ConfigError(
                f"{model}: got augment entry {name!r}, expected any of "
                f"{', '.join(AUGMENTATIONS)}{did_you_mean(str(name), AUGMENTATIONS)}; "
                "e.g. augment=('rotation',) (flipping changes what a digit means)"
            )
    if not names:
        return []
    _check_image_shape(model, input_shape, "augmentation flips and rotates images")
    layers = _channels(input_shape)
    if "flip" in names:
        layers.append(keras.layers.RandomFlip("horizontal"))
    if "rotation" in names:
        layers.append(keras.layers.RandomRotation(rotation))
    return layers


def _sequential(name: str, input_shape: tuple[int, ...], layers: list[Layer]) -> keras.Model:
    return keras.Sequential([keras.Input(shape=input_shape), *layers], name=name)


# ---------------------------------------------------------------- the course's models


def _dense_net(name: str, input_shape: tuple[int, ...], num_classes: int, units: tuple[int, ...],
               augment: Sequence[str], rotation: float, l2: float | None, rate: float | None = None) -> keras.Model:
    """(Augmentation) > Flatten > Dense relu per units (> Dropout) > Dense softmax: first, small, dropout."""
    return _sequential(name, input_shape, [
        *_augmentation(name, input_shape, augment, rotation),
        keras.layers.Flatten(),
        *_hidden(units, l2, rate),
        _head(num_classes, l2),
    ])


def first(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    augment: Sequence[str] = (),
    rotation: float = 0.05,
    l2: float | None = None,
) -> keras.Model:
    """Flatten > Dense 128 relu > Dense 128 relu > Dense softmax (118,282 on MNIST)."""
    return _dense_net("first", input_shape, num_classes, (128, 128), augment, rotation, l2)


def small(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    augment: Sequence[str] = (),
    rotation: float = 0.05,
    l2: float | None = None,
) -> keras.Model:
    """Flatten > Dense 64 relu > Dense 32 relu > Dense softmax (52,650 on MNIST)."""
    return _dense_net("small", input_shape, num_classes, (64, 32), augment, rotation, l2)


def dropout(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    rate: float = 0.2,
    augment: Sequence[str] = (),
    rotation: float = 0.05,
    l2: float | None = None,
) -> keras.Model:
    """`first` with Dropout(rate) after each hidden layer (118,282 on MNIST)."""
    _check_rate("dropout", rate)
    return _dense_net("dropout", input_shape, num_classes, (128, 128), augment, rotation, l2, rate=rate)


def _rescale_to_unit(pixel_max: float) -> Layer:
    # 0..pixel_max -> -1..1; for 255 this is the course's Rescaling(1/127.5, offset=-1).
    return keras.layers.Rescaling(scale=2.0 / pixel_max, offset=-1.0)


def rescaling(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    rate: float = 0.2,
    pixel_max: float = 255.0,
) -> keras.Model:
    """Flatten > Rescaling to -1..1 > the `dropout` model; fed raw 0..pixel_max pixels."""
    _check_rate("rescaling", rate)
    _check_pixel_max("rescaling", pixel_max)
    return _sequential(
        "rescaling",
        input_shape,
        [
            keras.layers.Flatten(),
            _rescale_to_unit(pixel_max),
            *_hidden((128, 128), None, rate),
            _head(num_classes, None),
        ],
    )


def functional(input_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    """The `small` model written with the Functional API (52,650 on MNIST)."""
    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(64, activation="relu")(x)
    x = keras.layers.Dense(32, activation="relu")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="functional")


def bypass(input_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    """A wide net whose reconstruction of the image is concatenated with the image itself."""
    if len(input_shape) != 2:
        raise ConfigError(
            f"bypass: got input_shape={input_shape}, expected a 2-D per-sample shape such "
            "as (28, 28), because the model concatenates its reconstruction with the input "
            "along the last axis; use a grayscale image dataset or another model"
        )
    inputs = keras.Input(shape=input_shape)  # (batch, 28, 28)
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(2**14, activation="relu")(x)
    x = keras.layers.Dense(512, activation="relu")(x)
    x = keras.layers.Dense(math.prod(input_shape), activation="relu")(x)
    x = keras.layers.Reshape(input_shape)(x)  # (batch, 28, 28)
    x = keras.layers.Concatenate(axis=-1)([x, inputs])  # (batch, 28, 56)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="bypass")


@keras.saving.register_keras_serializable(package="fitbench")
class SmallNet(keras.Model):
    """The `small` model as a ``keras.Model`` subclass with its own ``call()``."""

    def __init__(
        self, num_classes: int = 10, units: Sequence[int] = (64, 32), **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.hidden_units = tuple(units)
        self.flatten = keras.layers.Flatten()
        self.hidden = [keras.layers.Dense(u, activation="relu") for u in self.hidden_units]
        self.head = keras.layers.Dense(num_classes, activation="softmax")

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        # Keras does not build a subclass's layers for us; build them in order so the
        # weights exist (and count_params works) before the first call.
        shape = self.flatten.compute_output_shape(input_shape)
        for layer in [*self.hidden, self.head]:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)

    def call(self, inputs: Any, training: bool = False) -> Any:
        x = self.flatten(inputs)  # (batch, 784)
        for layer in self.hidden:
            x = layer(x)
        return self.head(x)  # (batch, num_classes)

    def get_config(self) -> dict[str, Any]:
        # The saved config must rebuild the same layers: load_model calls from_config.
        config = super().get_config()
        config.update(num_classes=self.num_classes, units=list(self.hidden_units))
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SmallNet:
        return cls(**config)


def subclass(input_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    """`SmallNet`, built on ``input_shape`` so its weights exist at once (52,650 on MNIST)."""
    model = SmallNet(num_classes=num_classes, name="subclass")
    # build() records the input shape in the build config, so a saved model reloads built.
    model.build((None, *input_shape))
    return model


# ---------------------------------------------------------------- tuning and extra models


def mlp(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    units: Sequence[int] = (128, 128),
    rescale: bool = False,
    rate: float = 0.0,
    l2: float | None = None,
    pixel_max: float = 255.0,
) -> keras.Model:
    """Flatten > (Rescaling to -1..1) > Dense relu per units (> Dropout) > Dense softmax."""
    sizes = _check_sizes("mlp", "units", units)
    _check_rate("mlp", rate)
    _check_pixel_max("mlp", pixel_max)
    layers: list[Layer] = [keras.layers.Flatten()]
    if rescale:
        layers.append(_rescale_to_unit(pixel_max))
    layers += _hidden(sizes, l2, rate if rate > 0 else None)
    return _sequential("mlp", input_shape, [*layers, _head(num_classes, l2)])


def _conv_blocks(
    input_shape: tuple[int, ...], filters: tuple[int, ...], l2: float | None
) -> list[Layer]:
    # Each block halves height and width; refuse a stack that would pool them to zero.
    if min(input_shape[:2]) // 2 ** len(filters) < 1:
        raise ConfigError(
            f"cnn: got filters={filters} ({len(filters)} pooling steps) for input_shape="
            f"{input_shape}, which pools the image down to nothing; use at most "
            f"{int(math.log2(min(input_shape[:2])))} filters entries"
        )
    layers = _channels(input_shape)
    for count in filters:
        layers.append(
            keras.layers.Conv2D(
                count, 3, padding="same", activation="relu", kernel_regularizer=_regularizer(l2)
            )
        )
        layers.append(keras.layers.MaxPooling2D(2))
    return layers


def cnn(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    filters: Sequence[int] = (32, 64),
    units: int | Sequence[int] = 64,
    rate: float = 0.0,
    l2: float | None = None,
) -> keras.Model:
    """[Conv2D 3x3 relu > MaxPooling 2] per filters > Flatten > Dense relu > Dense softmax.

    ``units`` may be one size or a list (one Dense relu layer each), as in a config file.
    """
    _check_image_shape("cnn", input_shape, "convolutions slide over height and width")
    sizes = _check_sizes("cnn", "filters", filters)
    one_size = isinstance(units, numbers.Integral)
    dense = _check_sizes("cnn", "units", (units,) if one_size else units)
    _check_rate("cnn", rate)
    layers = [
        *_conv_blocks(input_shape, sizes, l2),
        keras.layers.Flatten(),
        *_hidden(dense, l2, rate if rate > 0 else None),
    ]
    return _sequential("cnn", input_shape, [*layers, _head(num_classes, l2)])


ZOO: dict[str, Callable[..., keras.Model]] = {
    "first": first,
    "small": small,
    "dropout": dropout,
    "rescaling": rescaling,
    "functional": functional,
    "bypass": bypass,
    "subclass": subclass,
    "mlp": mlp,
    "cnn": cnn,
}

# One line per model: its schema class's docstring (fitbench.config declares the zoo's options too).
DESCRIPTIONS: dict[str, str] = {name: (model.__doc__ or "").strip() for name, model in ZOO_MODELS.items()}
