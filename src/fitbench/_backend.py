"""Choose Keras' backend and XLA's threads, without importing either.

``import fitbench`` runs this first, so the choices are made before Keras reads
``KERAS_BACKEND`` and before JAX starts XLA (both read their settings once), whatever the
user imports next.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

from _fitbench_keras_backend import keras_config_path  # the module fitbench-keras-backend.pth runs
from fitbench.errors import FitbenchWarning

# Measured (benchmarks/engine.py): training at the course's small batches is bound by
# per-step overhead, where one XLA thread per process beats several that wait on each
# other; to use more cores, run more processes (seeds, trials). FITBENCH_XLA_THREADS=all,
# or any XLA_FLAGS of the user's own, leaves XLA's default thread pool alone.
# Only `--` flags: XLA stops reading XLA_FLAGS at the first word without `--` and ignores the rest.
SINGLE_THREAD_XLA = "--xla_cpu_multi_thread_eigen=false"

# What Keras writes into keras.json on its first import, whatever backend it then runs on.
KERAS_DEFAULT_CONFIG = {"floatx": "float32", "epsilon": 1e-07, "backend": "tensorflow",
                        "image_data_format": "channels_last"}

logger = logging.getLogger(__name__)


def name_jax_in_keras_config(path: Path) -> None:
    """Make a later plain ``import keras`` run on JAX, as fitbench does.

    Keras' first import writes ``keras.json`` naming TensorFlow even when TensorFlow is not
    installed, so in a fresh notebook ``import keras`` before ``import fitbench`` failed with
    "No module named 'tensorflow'". A missing file is written naming JAX; Keras' untouched
    default that names a backend not installed here is changed to JAX, with a warning. A
    backend the user chose is left alone.
    """
    try:
        config = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, ValueError):
        return  # unreadable: Keras will say so itself
    if config is None:
        _write_json(path, {**KERAS_DEFAULT_CONFIG, "backend": "jax"})
        return
    if config != KERAS_DEFAULT_CONFIG or importlib.util.find_spec("tensorflow") is not None:
        return
    if _write_json(path, {**config, "backend": "jax"}):
        warnings.warn(f"{path} named tensorflow, which is not installed here, so a plain `import keras` failed; "
                      "it now names jax, fitbench's backend", FitbenchWarning, stacklevel=4)  # the user's `import fitbench`


def _write_json(path: Path, data: dict[str, object]) -> bool:
    from fitbench import _io  # only when writing: `import fitbench` stays light

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _io.write_json(path, data)
    except OSError as error:  # a read-only home: Keras copes, and so do we
        logger.info("cannot write %s: %s", path, error)
        return False
    return True


def check_keras_not_imported_elsewhere() -> None:
    """One line when Keras was imported before fitbench on another backend than JAX (it cannot
    change backend once imported, and the user's ``keras`` would stay on the old one)."""
    keras = sys.modules.get("keras")
    config = getattr(keras, "config", None)
    backend = config.backend() if config is not None else None
    if backend not in (None, "jax") and os.environ.get("KERAS_BACKEND") != backend:
        warnings.warn(f"keras was imported before fitbench with backend {backend!r}; fitbench runs Keras on JAX: "
                      f"set KERAS_BACKEND=jax before importing keras (or import fitbench first), then restart",
                      FitbenchWarning, stacklevel=4)  # the user's `import fitbench`


check_keras_not_imported_elsewhere()
if "KERAS_BACKEND" not in os.environ and "keras" not in sys.modules:
    name_jax_in_keras_config(keras_config_path())
os.environ.setdefault("KERAS_BACKEND", "jax")
if os.environ.get("FITBENCH_XLA_THREADS", "1") == "1" and "XLA_FLAGS" not in os.environ:
    os.environ["XLA_FLAGS"] = SINGLE_THREAD_XLA


# Packages Keras imports at its own import when they are installed, for features predicting
# never uses: pandas (DataFrames given to fit), scikit-learn (its wrappers), matplotlib (image
# galleries), IPython (the file editor's notebook display). Together 1 to 2 s of CPU, more than
# a third of what `fitbench predict` spends importing Keras.
KERAS_EXTRAS = ("pandas", "sklearn", "matplotlib", "IPython")


@contextlib.contextmanager
def keras_without_extras() -> Iterator[None]:
    """Import Keras inside this block without ``KERAS_EXTRAS``: each import of one raises
    ImportError, which Keras takes as "not installed" (those features then say so). Only for a
    process that uses none of them through Keras (``fitbench predict``): a package imported
    already is left alone, and every one is importable again after the block."""
    blocked = [name for name in KERAS_EXTRAS if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # Python's marker: "import NAME" raises ImportError
    try:
        yield
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
