"""``import fitbench``: the public names load on first use, after the backend is chosen."""

from __future__ import annotations

import subprocess
import sys

import pytest

import fitbench


def python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_and_the_command_line_parser_do_not_import_keras():
    # `fitbench --help` and a bad argument answer without Keras' 2 s import.
    code = ("import sys, fitbench; from fitbench.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('keras', 'jax', 'optuna') if m in sys.modules))")
    assert python(code) == "[]"


@pytest.mark.slow
def test_the_backend_is_chosen_at_import_and_names_load_on_use():
    code = ("import os, sys, fitbench; backend = os.environ['KERAS_BACKEND']; fit = fitbench.fit; "
            "import keras; print(backend, 'keras' in sys.modules, keras.backend.backend(), fit.__module__)")
    assert python(code) == "jax True jax fitbench.training._fit"


@pytest.mark.parametrize("name", fitbench.__all__)
def test_every_public_name_resolves(name: str):
    assert getattr(fitbench, name) is not None and name in dir(fitbench)


def test_subpackages_resolve_and_unknown_names_raise_attribute_error():
    assert fitbench.tuning.write_study_report.__module__ == "fitbench.tuning._report"
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        fitbench.nothing_here  # noqa: B018
    assert not hasattr(fitbench, "nothing_here")
