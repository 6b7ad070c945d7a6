"""The environment variables fitbench reads, checked before any work: a bad value is one line
(exit 2), never a traceback from Keras' import seconds later."""

from __future__ import annotations

import os

from fitbench.errors import ConfigError, did_you_mean

THREADS = ("1", "all")  # FITBENCH_XLA_THREADS: see fitbench._backend


def check_environment() -> None:
    """Refuse a ``KERAS_BACKEND`` other than jax (fitbench runs Keras on JAX) and a
    ``FITBENCH_XLA_THREADS`` other than 1 or all."""
    backend = os.environ.get("KERAS_BACKEND")
    if backend is not None and backend != "jax":
        raise ConfigError(f"KERAS_BACKEND={backend!r}: fitbench runs Keras on JAX; "
                          "unset KERAS_BACKEND or set KERAS_BACKEND=jax")
    threads = os.environ.get("FITBENCH_XLA_THREADS")
    if threads is not None and threads not in THREADS:
        raise ConfigError(f"FITBENCH_XLA_THREADS={threads!r}: expected 1 (one XLA thread per process, the default) "
                          f"or all (XLA's own thread pool){did_you_mean(threads, THREADS)}")
