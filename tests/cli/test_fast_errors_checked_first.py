"""More commands answer a bad argument before Keras, JAX, matplotlib or Optuna is imported:
``tune`` checks its search section and space, ``explain`` its inputs, ``audit`` its options."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_fast_errors import run_in_fresh_process
from tests.conftest import ROOT

FORMAT_1_RUN = Path(__file__).parents[1] / "runs" / "fixtures" / "run-0.1.0"

BAD_SEARCH = """name: bad-search
dataset: {name: digits}
model: {zoo: small}
training: {epochs: 1}
search:
  space:
    training.learning_rate: {type: float, low: 0.1, high: 0.01}
"""
BAD_SPACE = BAD_SEARCH.replace("training.learning_rate: {type: float, low: 0.1, high: 0.01}",
                               "training.epoch: {type: int, low: 1, high: 3}")


def refused_early(args: list[str]) -> str:
    exit_code, loaded, stderr = run_in_fresh_process(args)
    assert (exit_code, loaded) == (2, [])
    (line,) = stderr.splitlines()
    assert line.startswith("fitbench: error: ")
    return line


@pytest.mark.parametrize(("text", "said"), [(BAD_SEARCH, "low (0.1) is greater than high (0.01)"),
                                            (BAD_SPACE, "training.epoch: unknown key (did you mean 'epochs'?)")])
def test_tune_checks_its_search_section_before_optuna(tmp_path: Path, text: str, said: str):
    path = tmp_path / "search.yaml"
    path.write_text(text)
    assert said in refused_early(["tune", str(path)])


def test_tune_names_the_option_that_broke_the_search_section():
    line = refused_early(["tune", "tune", "--set", "search.pruner=nonee"])
    assert line.startswith("fitbench: error: --set search.pruner=nonee: search.pruner:")


def test_explain_checks_its_inputs_before_keras(tmp_path: Path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    assert "notes.txt: not an image" in refused_early(["explain", str(FORMAT_1_RUN), str(notes)])


@pytest.mark.parametrize("args", [
    ["audit", "digts"],
    ["audit", "digits", "--experiment", "frist"],
    ["audit", "digits", "--set", "training.epoch=3"],
    ["audit", "digits", "--folds", "1"],
], ids=" ".join)
def test_audit_checks_its_arguments_before_keras(args: list[str]):
    refused_early(args)


@pytest.mark.parametrize("command", ["train", "cv"])
def test_a_misspelt_experiment_is_answered_from_the_file_list_alone(command: str):
    code = (f"import json, sys; from fitbench.cli import main; code = main([{command!r}, 'frist']); "
            "print(json.dumps([code, sorted(m for m in ('pydantic', 'yaml', 'numpy') if m in sys.modules)]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert json.loads(result.stdout.splitlines()[-1]) == [2, []]  # no schema, no YAML parser: a file name check
    assert "frist: no such experiment file (did you mean 'first'?)" in result.stderr
