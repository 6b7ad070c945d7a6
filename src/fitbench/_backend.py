"""Choose Keras' backend and XLA's threads, without importing either.

``import fitbench`` runs this first, so the choices are made before Keras reads
``KERAS_BACKEND`` and before JAX starts XLA (both read their settings once), whatever the
user imports next.
"""

from __future__ import annotations

import os

# Measured (benchmarks/engine.py): training at the course's small batches is bound by
# per-step overhead, where one XLA thread per process beats several that wait on each
# other; to use more cores, run more processes (seeds, trials). FITBENCH_XLA_THREADS=all,
# or any XLA_FLAGS of the user's own, leaves XLA's default thread pool alone.
# Only `--` flags: XLA stops reading XLA_FLAGS at the first word without `--` and ignores the rest.
SINGLE_THREAD_XLA = "--xla_cpu_multi_thread_eigen=false"

os.environ.setdefault("KERAS_BACKEND", "jax")
if os.environ.get("FITBENCH_XLA_THREADS", "1") == "1" and "XLA_FLAGS" not in os.environ:
    os.environ["XLA_FLAGS"] = SINGLE_THREAD_XLA
