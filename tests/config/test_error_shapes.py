"""Every validation error is one line naming its key, whatever the shape of the input and of
pydantic's error location (issue 28: an empty location, a list where a name was expected,
sections given as scalars or lists at any level of a tuning file)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from fitbench.config import validate
from fitbench.config._errors import format_error
from fitbench.errors import ConfigError
from fitbench.tuning import load_tuning
from tests.conftest import ROOT

BASE = {"name": "t", "dataset": {"name": "digits"}, "model": {"zoo": "mlp", "units": [8]},
        "training": {"epochs": 1}}
SPACE = {"training.seed": {"type": "int", "low": 1, "high": 4}}


def refusal(search: object) -> str:
    with pytest.raises(ConfigError) as raised:
        load_tuning({**BASE, "search": search}, where="t.yaml")
    return str(raised.value)


def test_a_search_section_that_is_a_number_is_one_line():
    # IndexError (loc[-1] of an empty location) on the old main.
    assert refusal(5) == "t.yaml: search: expected a section of `key: value` lines, got 5"


def test_a_search_entry_whose_type_is_a_list_is_one_line():
    # TypeError: unhashable type: 'list' on the old main.
    message = refusal({"space": {"training.seed": {"type": ["int"], "low": 1, "high": 4}}})
    assert message.startswith("t.yaml: search.space['training.seed'].type: expected one of categorical, int, float, "
                              "got type: ['int']")


@pytest.mark.parametrize("section", ["sampler", "pruning", "heartbeat", "space"])
@pytest.mark.parametrize("shape", [3, "tpe", [1, 2], [], True, 1e308])
def test_a_nested_search_section_of_any_shape_is_one_line_naming_it(section: str, shape: object):
    message = refusal({"space": SPACE, section: shape})
    assert len(message.splitlines()) == 1
    assert message.startswith(f"t.yaml: search.{section}: expected ")


@pytest.mark.parametrize("entry", [None, 3, "int", [], [{"type": "int"}], {"type": None}, {"type": {"int": 1}},
                                   {"type": "categorical", "choices": [[1], {"a": 1}]},
                                   {"type": "int", "low": [1], "high": {"x": 2}},
                                   {"type": "int", "low": 1, "high": 2, "length": [2]}])
def test_a_search_entry_of_any_shape_is_one_line_per_problem_naming_it(entry: object):
    for line in refusal({"space": {"training.seed": entry}}).splitlines():
        assert line.startswith("t.yaml: search.space['training.seed']")


def test_search_0_on_the_command_line_is_the_one_line_error_naming_the_option(tmp_path: Path):
    tuning = tmp_path / "t.yaml"
    tuning.write_text(yaml.safe_dump({**BASE, "search": {"space": SPACE}}))
    result = subprocess.run([sys.executable, "-m", "fitbench.cli", "tune", str(tuning), "--set", "search=0",
                             "--runs-dir", str(tmp_path / "runs")], capture_output=True, text=True, cwd=ROOT,
                            timeout=300)
    assert result.returncode == 2
    # The file alone is valid: the option broke it (checked before Optuna and Keras are imported).
    assert result.stderr.splitlines() == ["fitbench: error: --set search=0: search: expected a section of "
                                          "`key: value` lines, got 0"]
    assert not (tmp_path / "runs").exists()


class _Nested(BaseModel):
    value: int


class _Outer(BaseModel):
    inner: _Nested


@pytest.mark.parametrize("detail", [
    {"type": "extra_forbidden", "loc": (), "msg": "Extra inputs are not permitted", "input": 1},
    {"type": "union_tag_invalid", "loc": ("inner",), "msg": "bad tag", "input": {}, "ctx": {}},
    {"type": "unknown_name", "loc": ("inner",), "msg": "bad", "input": {"zoo": 1}},
    {"type": "literal_error", "loc": ("inner", 0, "x"), "msg": "bad", "input": [1]},
    {"type": "value_error", "loc": (), "msg": "Value error, no", "input": None},
])
def test_a_location_or_context_of_an_unexpected_shape_still_gives_one_line(detail: dict):
    line = format_error(_Outer, detail, where="x.yaml")  # type: ignore[arg-type]
    assert line.startswith("x.yaml: ") and "\n" not in line


def test_validate_of_a_top_level_scalar_is_one_line():
    with pytest.raises(ConfigError, match=r"^x.yaml: \(top level\): expected a section of `key: value` lines, got 7$"):
        validate(_Outer, 7, where="x.yaml")


def test_a_value_that_fits_no_alternative_of_a_union_is_one_line_naming_its_place():
    # pydantic reports one error per alternative (bool, int, float, str), under a location that
    # names the alternative: `choices[0].bool`; a bad key's location ends in '[key]'.
    assert refusal({"space": {"training.seed": {"type": "categorical", "choices": [[1]]}}}) == (
        "t.yaml: search.space['training.seed'].choices[0]: expected a valid boolean or a valid integer or a valid "
        "number or a valid string, got [1]")
    assert refusal({"space": {1: SPACE["training.seed"]}}) == "t.yaml: search.space[1]: expected a valid string, got 1"
