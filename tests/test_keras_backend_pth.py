"""``import keras`` first, on a fresh machine: the installed ``fitbench-keras-backend.pth``
makes it run on JAX (Keras' own default is TensorFlow, which fitbench does not install).

An installed .pth runs when Python starts, because site-packages is a site directory; the
subprocess test makes a temporary folder one (``site.addsitedir``), holding the file that
setup.py ships, so it runs exactly as it does after ``pip install``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PTH = ROOT / "src" / "fitbench-keras-backend.pth"


def python_with_the_pth(code: str, tmp_path: Path, home: Path) -> subprocess.CompletedProcess:
    site_dir = tmp_path / "site-packages"
    site_dir.mkdir()
    shutil.copy(PTH, site_dir)
    env = {key: value for key, value in os.environ.items() if key not in ("KERAS_BACKEND", "KERAS_HOME")}
    prelude = f"import site; site.addsitedir({str(site_dir)!r}); "  # what Python does at start for site-packages
    return subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=120,
                          env={**env, "HOME": str(home), "PYTHONPATH": str(ROOT / "src")}, cwd=tmp_path)


@pytest.mark.slow  # imports Keras and JAX in a fresh interpreter: about 5 s
def test_import_keras_then_fitbench_in_a_fresh_home(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()  # empty: no keras.json, as on a machine that never ran Keras
    done = python_with_the_pth("import keras; import fitbench; print(keras.backend.backend())", tmp_path, home)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["jax"] and "tensorflow" not in done.stderr


@pytest.fixture
def choose(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """``choose_backend`` in this process, with KERAS_HOME in ``tmp_path``; returns KERAS_BACKEND after."""
    from _fitbench_keras_backend import choose_backend

    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def run(config: dict | None = None, env: str | None = None) -> str | None:
        if config is not None:
            (tmp_path / "keras.json").write_text(json.dumps(config))
        if env is not None:
            monkeypatch.setenv("KERAS_BACKEND", env)
        choose_backend()
        return os.environ.get("KERAS_BACKEND")

    return run


def test_no_choice_gives_jax(choose):
    assert choose() == "jax"


def test_keras_default_naming_tensorflow_not_installed_gives_jax(choose):
    assert choose({"backend": "tensorflow"}) == ("jax" if _missing("tensorflow") else None)


def test_an_installed_backend_in_keras_json_is_left_alone(choose):
    assert choose({"backend": "numpy"}) is None  # Keras reads keras.json itself: numpy


def test_the_variable_is_left_alone(choose):
    assert choose({"backend": "jax"}, env="torch") == "torch"


def test_a_damaged_keras_json_gives_jax(choose, tmp_path: Path):
    (tmp_path / "keras.json").write_text("{not json")
    assert choose() == "jax"


def _missing(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None


def test_the_pth_says_nothing_where_fitbench_is_gone(tmp_path: Path):
    """An editable install whose source folder moved, or pip halfway through reinstalling: the
    .pth runs in every Python of the environment, so it must not print a traceback in each."""
    site_dir = tmp_path / "site-packages"
    site_dir.mkdir()
    shutil.copy(PTH, site_dir)
    env = {key: value for key, value in os.environ.items() if key not in ("KERAS_BACKEND", "PYTHONPATH")}
    code = f"import site, os; site.addsitedir({str(site_dir)!r}); print(os.environ.get('KERAS_BACKEND'))"
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, timeout=60, env=env,
                          cwd=tmp_path)
    assert (done.returncode, done.stdout.split(), done.stderr) == (0, ["None"], "")
