"""``choose_backend`` runs at every interpreter start, called by ``fitbench-keras-backend.pth``,
which fitbench installs beside its packages: a plain ``import keras`` then runs on JAX,
fitbench's backend, on a machine where nothing else chose one.

Keras' own default is TensorFlow, which fitbench does not install, so on a fresh machine
``import keras`` before ``import fitbench`` failed with "No module named 'tensorflow'".
A choice that works is left alone: ``KERAS_BACKEND``, or a ``keras.json`` naming a backend that
is installed. Kept to the standard library and a file read: it runs in every Python process of
the environment.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

BACKEND = "jax"


def keras_config_path() -> Path:
    """``keras.json`` where Keras looks for it: ``$KERAS_HOME``, else ``~/.keras`` (``/tmp/.keras``
    when the home directory cannot be written)."""
    if "KERAS_HOME" in os.environ:
        return Path(os.environ["KERAS_HOME"]) / "keras.json"
    home = os.path.expanduser("~")  # as Keras finds it (Path.home() raises where Keras carries on)
    return Path(home if os.access(home, os.W_OK) else "/tmp") / ".keras" / "keras.json"


def configured_backend(path: Path) -> str | None:
    """The backend ``keras.json`` names; None when it is missing, unreadable or names none."""
    try:
        backend = json.loads(path.read_text(encoding="utf-8")).get("backend")
    except (OSError, ValueError, AttributeError):
        return None
    return backend if isinstance(backend, str) else None


def choose_backend() -> None:
    """Set ``KERAS_BACKEND=jax`` unless a working choice was made (the variable, or keras.json
    naming an installed backend)."""
    if "KERAS_BACKEND" in os.environ:
        return
    chosen = configured_backend(keras_config_path())
    try:
        installed = chosen is not None and importlib.util.find_spec(chosen) is not None
    except (ImportError, ValueError):  # a name that is no module
        installed = False
    if not installed:
        os.environ["KERAS_BACKEND"] = BACKEND
