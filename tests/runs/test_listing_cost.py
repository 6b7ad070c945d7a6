"""``fitbench runs`` pays only for reading folders (issue 26): the fast JSON parser gives
``json.loads``' values and errors, and the listing imports no NumPy, Keras or JAX."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import given, settings, strategies as st

from fitbench.runs import _json
from fitbench.runs._read import _bounded_int
from tests.conftest import ROOT

FORMAT_1 = Path(__file__).parent / "fixtures" / "run-0.1.0"

numbers = st.one_of(st.integers(min_value=-(10**30), max_value=10**30), st.floats(), st.booleans(), st.none())
values = st.recursive(st.one_of(numbers, st.text(max_size=20)), lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=8), inner, max_size=5)), max_leaves=30)


def outcome(parse: Any, text: str) -> tuple[str, str]:
    """What parsing ``text`` gives, comparable: the value (NaN equal to NaN), or the error."""
    try:
        return "value", repr(_normal(parse(text)))
    except (ValueError, RecursionError) as error:
        return type(error).__name__, str(error)


def _normal(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, dict):
        return {key: _normal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normal(item) for item in value]
    return (type(value).__name__, value)


def both(text: str) -> None:
    fast = outcome(lambda t: _json.loads(t, parse_int=_bounded_int), text)
    assert fast == outcome(lambda t: json.loads(t, parse_int=_bounded_int), text)
    assert outcome(_json.loads, text) == outcome(json.loads, text)


@settings(max_examples=300, deadline=None)
@given(values, st.booleans())
def test_documents_read_as_json_loads_reads_them(value: Any, indent: bool):
    both(json.dumps(value, indent=2 if indent else None))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='{}[]",:0123456789.eE+-truefalsnNIinfity \\u\n\x00\ud800', max_size=40))
def test_any_text_parses_or_fails_as_json_loads_does(text: str):
    both(text)


def test_the_edges_of_the_two_parsers():
    for text in ["1" * 19, "1" * 20, "-" + "9" * 25, '{"a": 1, "a": 2}', '"\\ud800"', "\ufeff{}", "[1,]", "1e400",
                 "NaN", "-Infinity", "[" * 5000 + "]" * 5000, '{"n": 12345678901234567890123}', "01", '"\x01"']:
        both(text)


def test_listing_imports_no_numpy_keras_or_jax(tmp_path: Path):
    runs = tmp_path / "runs"
    for index in range(3):
        shutil.copytree(FORMAT_1, runs / f"old-{index}")
    code = ("import json, sys; from fitbench.cli import main; code = main(['runs', '--runs-dir', sys.argv[1]]); "
            "print(json.dumps([code, sorted(m for m in ('numpy', 'keras', 'jax') if m in sys.modules)]))")
    result = subprocess.run([sys.executable, "-c", code, str(runs)], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    *listed, verdict = result.stdout.splitlines()
    assert json.loads(verdict) == [0, []]
    assert listed[-1] == "3 runs, 0 incomplete"
