"""Logits or probabilities: what a classifier's outputs are, and its outputs as probabilities.

Keras practice ends a classifier either with a softmax (its outputs are class probabilities)
or with a plain ``Dense`` trained with ``from_logits=True`` (its outputs are logits). Scores
such as the log loss need probabilities, so every prediction goes through ``as_probabilities``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from fitbench._keras import keras


def loss_from_logits(loss: Any) -> bool:
    """Whether a compiled loss (a name, a function or a ``keras.losses.Loss``) takes logits."""
    config = loss.get_config() if hasattr(loss, "get_config") else {}
    return bool(config.get("from_logits", False))


def outputs_logits(model: keras.Model, outputs: Callable[[], np.ndarray]) -> bool:
    """Whether ``model`` outputs logits rather than probabilities.

    Its compiled loss says so (``from_logits=True``), or its last layer's activation is linear.
    When the last layer is not known (a subclassed model, or a layer without an activation,
    such as ``Softmax``), ``outputs()`` is called: outputs that are not rows of probabilities
    are logits.
    """
    if getattr(model, "compiled", False) and loss_from_logits(getattr(model, "loss", None)):
        return True
    activation = _last_activation(model)
    if activation is not None:
        return activation is keras.activations.linear
    return not probability_rows(outputs())


def as_probabilities(model: keras.Model, outputs: np.ndarray) -> np.ndarray:
    """``outputs`` ``(n, classes)`` of ``model`` as float64 probabilities: softmax when they are logits."""
    if outputs_logits(model, lambda: outputs):
        outputs = np.asarray(jax.nn.softmax(outputs, axis=-1))
    return np.asarray(outputs, dtype=np.float64)


def probability_rows(outputs: np.ndarray) -> bool:
    """Every value in 0..1 and every row summing to 1 (up to float32 rounding)."""
    outputs = np.asarray(outputs, dtype=np.float64)
    return bool(outputs.size and outputs.min() >= 0.0 and outputs.max() <= 1.0 + 1e-6
                and np.allclose(outputs.sum(axis=-1), 1.0, atol=1e-3))


def _last_activation(model: keras.Model) -> Callable[..., Any] | None:
    """The activation of the layer that makes a Sequential or functional model's output, or None."""
    if not isinstance(model, keras.Sequential) and type(model).__name__ != "Functional":
        return None  # a subclassed model's layers are listed in the order they were assigned, not applied
    layers = model.layers
    return getattr(layers[-1], "activation", None) if layers else None
