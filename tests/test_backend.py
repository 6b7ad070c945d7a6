"""``import keras`` before ``import fitbench``, in fresh interpreters with a home of their own
whose ~/.keras/keras.json says what Keras' first import writes (tensorflow, not installed here).

These are fitbench's own fallback, for where the installed ``fitbench-keras-backend.pth`` does
not run (fitbench on PYTHONPATH, a copied site-packages): the interpreters start with ``-S``, so
no .pth runs, and find the installed packages on PYTHONPATH. tests/test_keras_backend_pth.py
covers the .pth itself.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

from fitbench._backend import KERAS_DEFAULT_CONFIG
from tests.conftest import ROOT


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / ".keras").mkdir()
    return tmp_path


def python(code: str, home: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("KERAS_BACKEND", "KERAS_HOME")}
    path = os.pathsep.join([str(ROOT / "src"), *site.getsitepackages()])
    return subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, timeout=120,
                          env={**env, "HOME": str(home), "PYTHONPATH": path})


def keras_json(home: Path) -> dict:
    return json.loads((home / ".keras" / "keras.json").read_text())


@pytest.mark.slow
def test_after_fitbench_once_import_keras_first_works(home: Path):
    (home / ".keras" / "keras.json").write_text(json.dumps(KERAS_DEFAULT_CONFIG))
    assert "No module named 'tensorflow'" in python("import keras", home).stderr  # Keras' own default
    once = python("import fitbench", home)
    assert once.returncode == 0 and "it now names jax" in once.stderr and len(once.stderr.splitlines()) == 1
    assert keras_json(home) == {**KERAS_DEFAULT_CONFIG, "backend": "jax"}
    later = python("import keras, fitbench; print(keras.backend.backend())", home)
    assert later.returncode == 0 and later.stdout.strip() == "jax" and later.stderr == ""


@pytest.mark.slow
def test_a_fresh_home_gets_a_keras_config_that_names_jax(home: Path):
    assert python("import fitbench.training", home).returncode == 0  # imports Keras, which would write tensorflow
    assert keras_json(home)["backend"] == "jax"


@pytest.mark.slow
def test_a_chosen_backend_is_left_alone_and_importing_keras_first_on_it_is_said_in_one_line(home: Path):
    (home / ".keras" / "keras.json").write_text(json.dumps({"backend": "numpy"}))
    done = python("import keras, fitbench; print(keras.backend.backend())", home)
    assert done.returncode == 0 and done.stdout.strip() == "numpy"
    assert done.stderr.count("\n") == 1 and (
        "keras was imported before fitbench with backend 'numpy'; fitbench runs Keras on JAX: set KERAS_BACKEND=jax "
        "before importing keras (or import fitbench first), then restart") in done.stderr
    assert keras_json(home) == {"backend": "numpy"}
