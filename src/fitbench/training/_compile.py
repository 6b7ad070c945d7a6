"""Compile a model for training: its own settings when the user compiled it, the course's otherwise.

A model the user compiled keeps its optimizer, loss and metrics unless the call names an
optimizer or a learning rate (Keras users compile first; replacing their ``SGD(0.1)`` by Adam
3e-4 without a word gave wrong conclusions). An uncompiled model (the zoo, experiment files)
gets the training config's optimizer and the sparse cross-entropy. Either way a model that
outputs logits is trained with ``from_logits=True``, and what was used is returned as a record
for the run's config.
"""

from __future__ import annotations

import warnings
import weakref
from typing import Any

import numpy as np

from fitbench._keras import keras
from fitbench._log import log
from fitbench.config import TrainingConfig
from fitbench.errors import ConfigError, FitbenchWarning
from fitbench.models import outputs_logits
from fitbench.models._outputs import loss_from_logits

OPTIMIZERS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}
SPARSE_CE = "sparse_categorical_crossentropy"

# Models compiled here: fitted again, they start afresh from the training config as before,
# rather than counting as compiled by their user.
_OURS: weakref.WeakSet[keras.Model] = weakref.WeakSet()


def compile_model(model: keras.Model, training: TrainingConfig, sample: np.ndarray) -> dict[str, Any]:
    """Compile ``model`` for ``training``; return what was used (see ``compile_record``).

    ``sample``: a few training images, run through the model when its last layer does not
    tell whether it outputs logits.
    """
    logits = outputs_logits(model, lambda: np.asarray(model(sample, training=False)))
    if getattr(model, "compiled", False) and model not in _OURS:
        settings = _own_settings(model, training, logits)
    else:
        settings = {"optimizer": _new_optimizer(training.optimizer, training.learning_rate),
                    "loss": keras.losses.SparseCategoricalCrossentropy(from_logits=logits), "metrics": ["accuracy"]}
        _OURS.add(model)
    model.compile(**settings)
    return compile_record(model, logits)


def compile_record(model: keras.Model, logits: bool) -> dict[str, Any]:
    """What a compiled model trains with, for config.yaml: optimizer class, learning rate, loss,
    and whether the model outputs logits (its outputs go through a softmax to be scored)."""
    return {"optimizer": type(model.optimizer).__name__, "learning_rate": _learning_rate(model.optimizer),
            "loss": loss_name(model.loss), "from_logits": logits}


def _own_settings(model: keras.Model, training: TrainingConfig, logits: bool) -> dict[str, Any]:
    """The user's compile settings, with the call's optimizer or learning rate, the loss that
    matches the outputs, and accuracy among the metrics (the run's history shows it)."""
    settings = _compile_config(model)
    if training.optimizer is not None:
        settings["optimizer"] = _new_optimizer(training.optimizer, training.learning_rate)
    elif training.learning_rate is not None:  # the model's own optimizer, at this learning rate
        own = model.optimizer
        settings["optimizer"] = type(own).from_config({**own.get_config(), "learning_rate": training.learning_rate})
    else:
        settings["optimizer"] = model.optimizer
    settings["loss"] = _loss(model.loss, logits)
    settings["metrics"] = _with_accuracy(settings.get("metrics"))
    return settings


def _compile_config(model: keras.Model) -> dict[str, Any]:
    """The arguments ``model`` was compiled with (metrics, jit_compile...), or {} if Keras cannot rebuild them."""
    try:
        config = keras.saving.deserialize_keras_object(model.get_compile_config())
    except Exception:  # a custom metric Keras cannot deserialize: keep the defaults
        return {}
    return dict(config) if isinstance(config, dict) else {}


def _loss(loss: Any, logits: bool) -> Any:
    name = loss_name(loss)
    if name == "categorical_crossentropy":
        loss, name = _as_sparse(loss), SPARSE_CE
    if logits and name == SPARSE_CE and not loss_from_logits(loss):
        warnings.warn(
            "the model outputs logits (its last layer has no softmax) but is compiled with "
            f"{SPARSE_CE}(from_logits=False); training with from_logits=True", FitbenchWarning, stacklevel=4)
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return loss


def _as_sparse(loss: Any) -> Any:
    """categorical_crossentropy of one-hot labels is sparse_categorical_crossentropy of class
    numbers, which fitbench's labels are (one-hot labels are turned into them as data is read)."""
    if getattr(loss, "label_smoothing", 0):  # the sparse loss has no smoothing: not the same loss
        raise ConfigError(
            "the model is compiled with categorical_crossentropy with label_smoothing, which fitbench's "
            f"class-number labels cannot take; compile with loss={SPARSE_CE!r} (or leave the model uncompiled)")
    log.info(f"the model is compiled with categorical_crossentropy; fitbench's labels are class numbers, so it "
             f"trains with {SPARSE_CE}, the same loss")
    return keras.losses.SparseCategoricalCrossentropy(from_logits=loss_from_logits(loss))


def _with_accuracy(metrics: Any) -> Any:
    if metrics is None:
        return ["accuracy"]
    if isinstance(metrics, list) and not any(_metric_name(metric) in ("accuracy", "acc") for metric in metrics):
        return [*metrics, "accuracy"]
    return metrics


def _new_optimizer(name: str | None, learning_rate: float | None) -> keras.optimizers.Optimizer:
    """A fresh optimizer; what is not given is the course's: Adam, learning rate 3e-4."""
    defaults = TrainingConfig.model_fields
    name = name or defaults["optimizer"].default
    rate = learning_rate or defaults["learning_rate"].default
    return getattr(keras.optimizers, OPTIMIZERS[name])(learning_rate=rate)


def _learning_rate(optimizer: keras.optimizers.Optimizer) -> Any:
    rate = optimizer.get_config()["learning_rate"]
    # Keras keeps it as float32 (0.1 reads 0.10000000149011612): 7 digits say it exactly.
    return float(f"{rate:.7g}") if isinstance(rate, (int, float)) else rate  # a schedule stays its config


def loss_name(loss: Any) -> str:
    """``"sparse_categorical_crossentropy"`` for the name, the function or a Loss object."""
    if isinstance(loss, str):
        return loss
    return str(getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__)


def _metric_name(metric: Any) -> str:
    return metric if isinstance(metric, str) else str(getattr(metric, "name", ""))
