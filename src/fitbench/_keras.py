"""Import Keras on the JAX backend unless the user already chose a backend.

Every fitbench module imports keras through here, after ``fitbench._backend`` has made its
choices.
"""

from __future__ import annotations

import keras

from fitbench._backend import SINGLE_THREAD_XLA

__all__ = ["SINGLE_THREAD_XLA", "keras"]
