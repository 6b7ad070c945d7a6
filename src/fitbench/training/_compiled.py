"""The compiled engine: each epoch is one XLA call.

Small-batch training (the course uses batch 10: 4,800 steps an epoch) spends its time in
per-step Python overhead, not arithmetic. Here the whole epoch runs inside ``jax.lax.scan``
over batches gathered on the device, calling the Keras model's own stateless
``train_step`` (forward, loss with regularisation, gradients, optimizer update, metrics), so
any Keras model and layer behaves as under ``fit``: Dropout and random augmentation carry
their seed state through the scan as non-trainable variables, BatchNormalization updates
its statistics, L2 penalties are part of the loss. Callbacks run at epoch granularity.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from fitbench._keras import build_for_training, keras, nested_layers
from fitbench.models._programs import Programs, programs_for

EVAL_BATCH = 1000  # validation is forward passes only: a large batch is fastest and gives the same mean


def unsupported_reason(model: keras.Model) -> str | None:
    """Why the compiled engine cannot train ``model`` faithfully, or None if it can."""
    if keras.backend.backend() != "jax":
        return f"it needs the JAX backend, and Keras runs on {keras.backend.backend()}"
    for method in ("train_step", "test_step", "compute_loss", "compute_metrics"):
        if getattr(type(model), method, None) is not getattr(keras.Model, method):
            return f"the model overrides {method}()"
    if jax.default_backend() == "cpu" and any(isinstance(layer, keras.layers.Conv2D) for layer in nested_layers(model)):
        # Measured (benchmarks/engine.py): XLA:CPU runs convolutions inside a scanned epoch
        # about 5x slower than as separate steps, so Keras' own loop is the faster engine here.
        return "convolutions train about 5x faster per step than in a compiled epoch on a CPU"
    return None


class CompiledFit:
    """``fit`` for a compiled model, with Keras' epoch-level callback protocol.

    The state is read from the model's variables before every epoch and written back after
    it, so callbacks (early stopping, checkpoints) see and may change real weights.
    """

    programs: Programs  # set by fit(), once the optimizer is built: shared by models of one architecture

    def __init__(self, model: keras.Model, *, batch_size: int, shuffle: bool, seed: int) -> None:
        self.model, self.batch_size, self.shuffle, self.seed = model, batch_size, shuffle, seed

    def fit(self, x: np.ndarray, y: np.ndarray, *, epochs: int, validation_data: tuple[Any, Any] | None,
            callbacks: list[keras.callbacks.Callback], initial_epoch: int = 0) -> keras.callbacks.History:
        model = self.model
        # Create the optimizer, loss and metric variables from one batch, as fit() does.
        build_for_training(model, x, y)
        self.programs = programs_for(model, training=True)
        x_train, y_train = jnp.asarray(x), jnp.asarray(y)
        val = None if validation_data is None else eval_batches(*validation_data)
        callback_list = keras.callbacks.CallbackList(callbacks, add_history=True, model=model, epochs=epochs)
        model.stop_training = False
        callback_list.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            if model.stop_training:  # asked between epochs (e.g. a signal): do not start another
                break
            logs = self._run_epoch(epoch, x_train, y_train)
            if val is not None:
                logs |= {f"val_{key}": value for key, value in self.evaluate(val).items()}
            callback_list.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
        callback_list.on_train_end()
        return model.history

    def evaluate(self, batches: list[tuple[jax.Array, jax.Array]]) -> dict[str, float]:
        """Loss and metrics over ``eval_batches(x, y)`` with the model's own ``test_step``."""
        model = self.model
        model.reset_metrics()
        state = ([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables],
                 [v.value for v in model.metrics_variables])
        for x, y in batches:
            state = self.programs.test_batches(state, x, y)
        _assign(model.metrics_variables, state[2])
        return _floats(model.get_metrics_result())

    def _run_epoch(self, epoch: int, x: jax.Array, y: jax.Array) -> dict[str, float]:
        model = self.model
        model.reset_metrics()
        state = self._read_state()
        order = self._order(epoch, len(y))
        batches = len(y) // self.batch_size
        if batches:
            state = self.programs.train_epoch(state, x, y, batches, order[: batches * self.batch_size])
        if batches * self.batch_size < len(y):  # the last, smaller batch: Keras trains on it too
            rest = order[batches * self.batch_size:]
            state = self.programs.train_step(state, x[rest], y[rest])
        self._write_state(state)
        return _floats(model.get_metrics_result())

    def _order(self, epoch: int, n: int) -> jax.Array:
        if not self.shuffle:
            return jnp.arange(n)
        # A fresh permutation per epoch from (seed, epoch): reproducible and resumable.
        return jax.random.permutation(jax.random.fold_in(jax.random.key(self.seed), epoch), n)

    def _read_state(self) -> tuple:
        model = self.model
        return tuple([v.value for v in variables] for variables in (
            model.trainable_variables, model.non_trainable_variables,
            model.optimizer.variables, model.metrics_variables))

    def _write_state(self, state: tuple) -> None:
        model = self.model
        for variables, values in zip((model.trainable_variables, model.non_trainable_variables,
                                      model.optimizer.variables, model.metrics_variables), state):
            _assign(variables, values)


def eval_batches(x: np.ndarray, y: np.ndarray) -> list[tuple[jax.Array, jax.Array]]:
    """``(x, y)`` as stacks of ``EVAL_BATCH``-image batches for ``test_batches``, plus the rest as
    one batch. Made once per fit: slicing and stacking the validation images on every epoch
    copied them each time (about 13 ms an epoch for 12,000 images)."""
    full = len(y) // EVAL_BATCH * EVAL_BATCH
    batches = []
    if full:
        batches.append((jnp.asarray(x[:full].reshape(-1, EVAL_BATCH, *x.shape[1:])),
                        jnp.asarray(y[:full].reshape(-1, EVAL_BATCH))))
    if full < len(y):
        batches.append((jnp.asarray(x[None, full:]), jnp.asarray(y[None, full:])))
    return batches


def _assign(variables: list[Any], values: list[Any]) -> None:
    for variable, value in zip(variables, values):
        variable.assign(value)


def _floats(logs: dict[str, Any]) -> dict[str, float]:
    return {key: float(value) for key, value in logs.items()}

