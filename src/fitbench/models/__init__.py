"""Models: the course's zoo by name, models from layer lists, and user factories.

>>> model = build_model("first")            # Input(28, 28) ... Dense 10 softmax
>>> count_params(model)
118282
"""

from __future__ import annotations

import inspect
import math
import weakref
from collections.abc import Callable
from typing import Any

from fitbench._keras import keras
from fitbench.errors import ConfigError, did_you_mean
from fitbench.models import _factory, _layers
from fitbench.models._architecture import architecture, model_summary
from fitbench.models._factory import resolve_factory
from fitbench.models._outputs import as_probabilities, outputs_logits
from fitbench.models._programs import predict
from fitbench.models._zoo import DESCRIPTIONS, ZOO

__all__ = [
    "architecture",
    "model_summary",
    "build_model",
    "build_from_layers",
    "build_from_factory",
    "resolve_factory",
    "zoo_names",
    "zoo_options",
    "describe_zoo",
    "count_params",
    "model_spec",
    "predict",
    "as_probabilities",
    "outputs_logits",
]

# The course's data: MNIST, 28x28 grayscale, digits 0-9.
DEFAULT_INPUT_SHAPE = (28, 28)
DEFAULT_NUM_CLASSES = 10

# How each model built here was made, as a config.yaml `model` section (weak keys: the
# record goes away with the model).
_SPECS: weakref.WeakKeyDictionary[keras.Model, dict[str, Any]] = weakref.WeakKeyDictionary()


def _plain(value: Any) -> Any:
    # YAML-friendly: tuples become lists, recursively.
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _remember(model: keras.Model, spec: dict[str, Any]) -> keras.Model:
    _SPECS[model] = _plain(spec)
    return model


def model_spec(model: keras.Model) -> dict[str, Any] | None:
    """The ``model`` config section that rebuilds ``model``, or None if fitbench did not build it.

    E.g. ``{"zoo": "dropout", "rate": 0.5}``, ``{"layers": [...]}`` or
    ``{"factory": "pkg.mod:make", "kwargs": {...}}``.
    """
    spec = _SPECS.get(model)
    return None if spec is None else _plain(spec)


def zoo_names() -> list[str]:
    """The names ``build_model`` accepts, in the course's order."""
    return list(ZOO)


def describe_zoo() -> dict[str, str]:
    """A one-line description per zoo name."""
    return dict(DESCRIPTIONS)


def _builder(name: str) -> Callable[..., keras.Model]:
    if name not in ZOO:
        raise ConfigError(
            f"unknown model {name!r}{did_you_mean(str(name), list(ZOO))}; "
            f"expected one of: {', '.join(ZOO)}"
        )
    return ZOO[name]


def zoo_options(name: str) -> dict[str, Any]:
    """The options a zoo model takes, with their defaults (from its builder's signature)."""
    parameters = inspect.signature(_builder(name)).parameters.values()
    return {p.name: p.default for p in parameters if p.kind is p.KEYWORD_ONLY}


def count_params(model: keras.Model) -> int:
    """The number of trainable parameters (the course's table counts these)."""
    return int(sum(math.prod(weight.shape) for weight in model.trainable_weights))


def _check_options(name: str, options: dict[str, Any]) -> None:
    allowed = zoo_options(name)
    for key in options:
        if key not in allowed:
            takes = ", ".join(allowed) or "no options"
            raise ConfigError(
                f"build_model({name!r}) got an unknown option {key!r}"
                f"{did_you_mean(key, list(allowed))}; {name!r} takes: {takes}"
            )


def _shape_and_classes(
    data: Any, input_shape: tuple[int, ...] | None, num_classes: int | None
) -> tuple[tuple[int, ...], int]:
    """Explicit arguments win over the data's attributes, which win over MNIST's."""
    shape = input_shape or getattr(data, "input_shape", None) or DEFAULT_INPUT_SHAPE
    classes = num_classes or getattr(data, "num_classes", None) or DEFAULT_NUM_CLASSES
    shape = tuple(shape)
    if not shape or not all(isinstance(d, int) and d > 0 for d in shape):
        raise ConfigError(
            f"build_model: got input_shape={shape!r}, expected the per-sample shape as "
            "positive integers without the batch axis, e.g. (28, 28)"
        )
    if not isinstance(classes, int) or classes < 2:
        raise ConfigError(
            f"build_model: got num_classes={classes!r}, expected an integer >= 2; "
            "pass the number of distinct labels, e.g. 10 for digits"
        )
    return shape, classes


def build_model(
    name: str,
    data: Any = None,
    *,
    input_shape: tuple[int, ...] | None = None,
    num_classes: int | None = None,
    seed: int | None = 42,
    **options: Any,
) -> keras.Model:
    """Build a zoo model by name, shaped for ``data`` (or MNIST by default).

    Args:
        name: a zoo name, see ``zoo_names()``.
        data: anything with ``input_shape``, ``num_classes`` and ``pixel_max``
            attributes (a fitbench Dataset); optional.
        input_shape: per-sample shape; overrides ``data``. Default (28, 28).
        num_classes: number of classes; overrides ``data``. Default 10.
        seed: seeds Python, NumPy and Keras before building so the initial weights are
            reproducible; None leaves the global random state alone.
        **options: the model's options, see ``zoo_options(name)``.
    """
    builder = _builder(name)
    _check_options(name, options)
    shape, classes = _shape_and_classes(data, input_shape, num_classes)
    pixel_max = _input_max(data)
    if "pixel_max" in zoo_options(name) and "pixel_max" not in options and pixel_max:
        # Models that rescale inside must know the range of what they are fed.
        options["pixel_max"] = pixel_max
    # pixel_max comes from the data, which the run records on its own.
    spec = {"zoo": name, **{k: v for k, v in options.items() if k != "pixel_max"}}
    if seed is not None:
        keras.utils.set_random_seed(seed)
    return _remember(builder(shape, classes, **options), spec)


def _input_max(data: Any) -> float | None:
    """The largest pixel value the model will see: 1.0 for normalised data, else the raw scale."""
    if data is None or getattr(data, "pixel_max", None) is None:
        return None
    return 1.0 if getattr(data, "normalized", False) else float(data.pixel_max)


def build_from_layers(
    layers: list[dict[str, Any]],
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    name: str = "custom",
) -> keras.Sequential:
    """A Sequential model from layer dicts (``model.layers``); see ``_layers``."""
    model = _layers.build_from_layers(layers, input_shape, num_classes, name=name)
    return _remember(model, {"layers": layers})


def build_from_factory(
    spec: str,
    input_shape: tuple[int, ...],
    num_classes: int,
    kwargs: dict[str, Any] | None = None,
) -> keras.Model:
    """The model returned by the user's ``"module:function"``; see ``_factory``."""
    model = _factory.build_from_factory(spec, input_shape, num_classes, kwargs)
    return _remember(model, {"factory": spec, "kwargs": dict(kwargs or {})})
