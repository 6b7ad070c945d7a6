"""The XLA programs of a model (a training epoch, validation, prediction), shared by every model
of the same architecture.

Tracing and compiling a Keras model's epoch costs about a second on a CPU, as much as training
three epochs of the course's tuning network; a study over shapes and init seeds trains the same
architecture many times. The programs call a *reference* model's stateless ``train_step``,
``test_step`` and ``stateless_call`` with the variable values of whichever model they run
for, so any model whose configuration equals the reference's reuses them.

Only models whose configuration says everything they compute are shared: Sequential and
functional models of Keras' own layers (no ``Lambda`` or ``JaxLayer``, which wrap code of their
own), compiled with serializable settings.
Any other model gets programs of its own.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

import jax
import numpy as np

from fitbench._keras import keras, nested_layers, prepare_stateless_steps
from fitbench.models._outputs import as_probabilities

PREDICT_BATCH = 1024
MAX_SHARED_PARAMETERS = 4_000_000  # the reference models kept alive, all together (about 50 MB with Adam)

_SHARED: OrderedDict[str, Programs] = OrderedDict()  # least recently used first
_OWN = "_fitbench_programs"  # the attribute that holds a model's programs when they are its own


class Programs:
    """Jitted functions over a model's state; ``reference`` is the model they trace."""

    def __init__(self, reference: keras.Model) -> None:
        self.reference = reference
        self.train_epoch = jax.jit(self._epoch, static_argnums=(3,), donate_argnums=(0,))
        self.train_step = jax.jit(self._step, donate_argnums=(0,))
        self.test_batches = jax.jit(self._test)  # no donation: the weights stay the model's
        self._predict = jax.jit(self._forward)

    def predict(self, model: keras.Model, x: np.ndarray, batch_size: int = PREDICT_BATCH) -> np.ndarray:
        """``model``'s outputs for ``x``, batch by batch; the last batch is padded, so one
        program serves every split size."""
        state = ([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables])
        size = min(batch_size, _power_of_two(len(x)))  # small sets need no 1,024-image batch
        outputs = []
        for start in range(0, len(x), size):
            batch = np.asarray(x[start:start + size])
            rows = len(batch)
            if rows < size:
                batch = np.concatenate([batch, np.zeros((size - rows, *batch.shape[1:]), batch.dtype)])
            outputs.append(np.asarray(self._predict(*state, batch))[:rows])
        return np.concatenate(outputs) if outputs else np.zeros((0, *_output_shape(model)), np.float32)

    def _epoch(self, state: tuple, x: jax.Array, y: jax.Array, batches: int, order: jax.Array) -> tuple:
        prepare_stateless_steps(self.reference)  # runs once per trace, not per call
        def body(state: tuple, index: jax.Array) -> tuple[tuple, None]:
            _, state = self.reference.train_step(state, (x[index], y[index]))
            return state, None

        state, _ = jax.lax.scan(body, state, order.reshape(batches, -1))
        return state

    def _step(self, state: tuple, x: jax.Array, y: jax.Array) -> tuple:
        prepare_stateless_steps(self.reference)
        _, state = self.reference.train_step(state, (x, y))
        return state

    def _test(self, state: tuple, x: jax.Array, y: jax.Array) -> tuple:
        prepare_stateless_steps(self.reference)
        def body(state: tuple, batch: tuple[jax.Array, jax.Array]) -> tuple[tuple, None]:
            _, state = self.reference.test_step(state, batch)
            return state, None

        state, _ = jax.lax.scan(body, state, (x, y))
        return state

    def _forward(self, trainable: list, non_trainable: list, x: jax.Array) -> jax.Array:
        outputs, _ = self.reference.stateless_call(trainable, non_trainable, x, training=False)
        return outputs


def programs_for(model: keras.Model, *, training: bool) -> Programs:
    """The programs for ``model``: shared with earlier models of its architecture when that is safe.

    ``training``: the programs will train it, so its optimizer must be built (``fit`` builds
    it first) and its compile settings are part of what must be equal.
    """
    key = architecture_key(model, training=training)
    if key is None:
        if getattr(model, _OWN, None) is None:
            object.__setattr__(model, _OWN, Programs(model))  # past Keras' attribute tracking
        return getattr(model, _OWN)
    # The reference must still be what it was: a model compiled again since computes differently.
    if key in _SHARED and architecture_key(_SHARED[key].reference, training=training) == key:
        _SHARED.move_to_end(key)
        return _SHARED[key]
    programs = _SHARED[key] = Programs(model)
    _evict()
    return programs


def predict(model: keras.Model, x: np.ndarray, batch_size: int = PREDICT_BATCH) -> np.ndarray:
    """The class probabilities ``(n, classes)`` of ``model.predict(x)`` as float64 (softmax of
    the outputs when the model outputs logits), compiled once per architecture on the JAX backend."""
    if keras.backend.backend() != "jax" or not model.jit_compile:  # the user asked for eager execution
        outputs = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    else:
        outputs = programs_for(model, training=False).predict(model, x, batch_size)
    return as_probabilities(model, outputs)


def architecture_key(model: keras.Model, *, training: bool) -> str | None:
    """A text equal for models that compute the same function of their variables; None when
    the model's configuration may not say everything it computes."""
    if not _keras_own(model) or int(model.count_params()) > MAX_SHARED_PARAMETERS // 2:
        return None
    try:
        config = keras.saving.serialize_keras_object(model)
        compiled = _unnamed_optimizer(model.get_compile_config()) if training else None
    except Exception:  # an object Keras cannot serialize: nothing to compare by
        return None
    config.pop("compile_config", None)  # prediction does not depend on it; training uses `compiled`
    if isinstance(model, keras.Sequential):
        config = _without_names(config)  # names compute nothing; in a Sequential nothing refers to them
    return json.dumps([training, config, compiled], sort_keys=True, default=repr)


def _unnamed_optimizer(compiled: dict[str, Any] | None) -> dict[str, Any] | None:
    """The compile config without the optimizer's name (``adam_3``: Keras numbers each new one)."""
    optimizer = compiled.get("optimizer") if compiled else None
    if compiled is None or not isinstance(optimizer, dict) or not isinstance(optimizer.get("config"), dict):
        return compiled
    unnamed = {key: value for key, value in optimizer["config"].items() if key != "name"}
    return {**compiled, "optimizer": {**optimizer, "config": unnamed}}


def _without_names(config: dict[str, Any]) -> dict[str, Any]:
    """The Sequential's config without its own and its layers' names (nested ones keep theirs)."""
    inner = {key: value for key, value in config["config"].items() if key != "name"}
    inner["layers"] = [{**layer, "config": {k: v for k, v in layer["config"].items() if k != "name"}}
                       for layer in inner.get("layers", [])]
    return {**config, "config": inner}


def _keras_own(model: keras.Model) -> bool:
    layers = [model, *nested_layers(model)]
    wrappers = (keras.layers.Lambda, keras.layers.JaxLayer)  # their config names a function, not its code
    return all(type(layer).__module__.startswith("keras.") and not isinstance(layer, wrappers) for layer in layers)


def _evict() -> None:
    while len(_SHARED) > 1 and sum(_parameters(p) for p in _SHARED.values()) > MAX_SHARED_PARAMETERS:
        _SHARED.popitem(last=False)


def _parameters(programs: Programs) -> int:
    return int(programs.reference.count_params())


def _power_of_two(n: int) -> int:
    return 1 << max(0, n - 1).bit_length()


def _output_shape(model: keras.Model) -> tuple[int, ...]:
    return tuple(int(d) for d in model.output_shape[1:])


def clear_programs() -> None:
    """Forget every shared program (tests; a user who changed a layer class in place)."""
    _SHARED.clear()

