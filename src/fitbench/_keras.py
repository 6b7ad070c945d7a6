"""Import Keras on the JAX backend unless the user already chose a backend, and the private
Keras attributes fitbench needs.

Every fitbench module imports keras through here, after ``fitbench._backend`` has made its
choices. No other module touches an attribute of a Keras object whose name starts with ``_``:
each one is used by one helper below, whose comment says which Keras versions need it, so a
new Keras release is checked here (``.ci/run`` tests the oldest supported Keras and the newest).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import keras

from fitbench._backend import SINGLE_THREAD_XLA

__all__ = ["SINGLE_THREAD_XLA", "build_for_training", "build_shapes", "inbound_nodes", "keras", "load_model_file",
           "nested_layers", "prepare_stateless_steps", "saved_weights_only"]


def build_for_training(model: keras.Model, x: Any, y: Any) -> None:
    """Create the optimizer, loss-tracker and metric variables of a compiled ``model`` from the
    first sample of ``(x, y)``, as ``fit()`` does before its first step."""
    # Keras 3.7-3.15 (every version fitbench supports): no public method builds them
    # without running a training step.
    model._symbolic_build(data_batch=(x[:1], y[:1]))


def prepare_stateless_steps(model: keras.Model) -> None:
    """Let ``model.train_step``/``test_step`` run outside ``fit()`` on the JAX backend.

    Call it where those steps are traced (inside ``jax.jit``): Keras' own ``fit()`` may have
    cleared what it records since the last trace.
    """
    # Keras 3.7-3.11: the JAX steps constrain their state to shardings that fit() and
    # evaluate() record first (AttributeError `_trainable_variable_shardings` without it).
    # Keras 3.12 dropped that constraint, and the method with it.
    record = getattr(model, "_record_training_state_sharding_spec", None)
    if record is not None:
        record()


def nested_layers(model: keras.Model) -> list[Any]:
    """Every layer inside ``model``, those of nested models included (``model.layers`` lists
    only the top level)."""
    # Keras 3.7-3.15: `_flatten_layers` is the only walk over nested layers.
    return list(model._flatten_layers(include_self=False))


def inbound_nodes(layer: Any) -> list[Any]:
    """The calls of ``layer`` recorded in a functional graph (empty when it was never called
    symbolically)."""
    # Keras 3.7-3.15: `_inbound_nodes` is what `model.summary()` reads; there is no public name.
    return list(getattr(layer, "_inbound_nodes", None) or [])


def build_shapes(layer: Any) -> dict[str, Any] | None:
    """The keyword arguments of ``compute_output_shape`` that ``layer`` was built with, if any."""
    # Keras 3.7-3.15: `_build_shapes_dict` is what `model.summary()` reads; there is no public name.
    return getattr(layer, "_build_shapes_dict", None) or None


def load_model_file(file: Any, *, compile: bool) -> keras.Model:
    """A ``.keras`` model read from an open binary ``file`` in safe mode: the very file that
    was checked, so swapping the path for another file (or a link to a FIFO) changes nothing."""
    # Keras 3.7-3.15: `keras.saving.load_model` takes only a path; the saving library's
    # `load_model` is the one that takes a file object.
    from keras.src.saving import saving_lib  # type: ignore[import-untyped]

    return saving_lib.load_model(file, compile=compile, safe_mode=True)


@contextlib.contextmanager
def saved_weights_only() -> Iterator[None]:
    """Variables created inside take the values then assigned to them (a saved model's weights)
    without running their initializers first; any left unassigned are initialized on the way out.

    On JAX each random initializer compiles an XLA program per shape: loading the course's
    ``first`` model spent 5 of its 6 s drawing random weights that the saved ones then replaced.
    """
    if keras.backend.backend() != "jax" or _global_state().get_global_attribute("stateless_scope") is not None:
        yield
        return
    state = _global_state()
    # Keras 3.7-3.15: a variable created in a StatelessScope that does not initialize variables
    # is listed in the "uninitialized_variables" global attribute, and an assignment to it is
    # recorded in the scope; `_initialize(value)` is what `_deferred_initialize` calls.
    with keras.StatelessScope(initialize_variables=False) as scope:
        try:
            yield
        finally:
            created = state.get_global_attribute("uninitialized_variables") or []
            state.set_global_attribute("uninitialized_variables", [])
    for variable in created:
        value = scope.get_current_value(variable)
        if value is None:
            variable._deferred_initialize()
        else:
            variable._initialize(value)


def _global_state() -> Any:
    from keras.src.backend.common import global_state  # type: ignore[import-untyped]  # keras ships no hints

    return global_state
