"""Import Keras on the JAX backend unless the user already chose a backend.

Every fitbench module imports keras through here, so the choice is made before Keras
reads ``KERAS_BACKEND`` (it reads it once, at import).
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402

__all__ = ["keras"]
