"""Experiment files are checked without Keras: zoo models and their options are declared in the schema."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fitbench.config import Experiment
from fitbench.config._schema import ZOO_MODELS, ZOO_OPTIONS
from fitbench.errors import ConfigError
from tests.conftest import ROOT, heavy_modules_after


def fitbench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fitbench.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_validating_an_experiment_imports_no_keras():
    assert heavy_modules_after(
        "from fitbench.config import Experiment, validate; "
        "validate(Experiment, {'name': 'x', 'model': {'zoo': 'dropout', 'rate': 0.3}}, where='x.yaml')") == []


def test_an_option_the_model_does_not_take_lists_the_ones_it_does():
    from fitbench.config import validate

    with pytest.raises(ConfigError, match="zoo model 'first' takes augment, l2, rotation; remove model.rate"):
        validate(Experiment, {"name": "x", "model": {"zoo": "first", "rate": 0.3}}, where="x.yaml")


def test_the_declared_options_are_the_builders_own():
    from fitbench.models import zoo_names, zoo_options

    assert list(ZOO_MODELS) == zoo_names()
    for name in zoo_names():
        assert set(ZOO_MODELS[name]) == set(zoo_options(name)) & set(ZOO_OPTIONS), name


@pytest.mark.slow
def test_experiments_schema_is_json_schema_with_the_zoo_names():
    result = fitbench("experiments", "schema")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    model = schema["$defs"]["ModelConfig"]
    assert model["properties"]["zoo"]["enum"][:2] == ["first", "small"]
    first = next(rule for rule in model["allOf"] if rule["if"]["properties"]["zoo"]["const"] == "first")
    assert {"required": ["rate"]} in first["then"]["not"]["anyOf"]


@pytest.mark.slow
def test_experiments_list_whole_sentences():
    result = fitbench("experiments")
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert lines["try05-early-stopping"].endswith("going back to the best epoch's weights.")
    assert all(text.endswith((".", "?", "!")) for text in lines.values())
