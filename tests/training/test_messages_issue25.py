"""Messages of issue 25: each says what was given and what to do, in fitbench's words, not from
inside pandas or with a wrong plural."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fitbench as fb
from fitbench._keras import keras
from fitbench.errors import ConfigError, FitbenchError, FitbenchWarning
from fitbench.training._fit import check_compatible


def dense(outputs: int, digits) -> keras.Model:
    return keras.Sequential([keras.Input(digits.input_shape), keras.layers.Flatten(),
                             keras.layers.Dense(outputs, activation="softmax")])


@pytest.mark.parametrize("split", [None, 0.2])
def test_a_dataframe_is_refused_in_one_line_with_the_fix(digits, tmp_path: Path, split):
    pandas = pytest.importorskip("pandas")
    table = pandas.DataFrame({"a": np.arange(10.0), "label": np.arange(10) % 2})
    with pytest.raises(ConfigError, match=r"got DataFrame; for a table, give \(table\[feature_columns\]"):
        fb.fit(dense(2, digits), table, validation_split=split, runs_dir=tmp_path, verbose=False)
    assert not any(tmp_path.iterdir())


def test_one_output_is_said_in_the_singular(digits):
    with pytest.raises(ConfigError, match=r"the model has 1 output \(class 0 only\); end the model with Dense\(10"):
        check_compatible(dense(1, digits), digits)


def test_more_outputs_than_classes_is_a_warning(digits):
    with pytest.warns(FitbenchWarning, match=r"12 outputs \(classes 0..11\) but the labels are classes 0..9"):
        check_compatible(dense(12, digits), digits)


def test_as_many_outputs_as_classes_says_nothing(digits, recwarn):
    check_compatible(dense(10, digits), digits)
    assert not [w for w in recwarn if issubclass(w.category, FitbenchWarning)]


def test_a_missing_folder_is_no_such_folder(tmp_path: Path, digits):
    with pytest.raises(FitbenchError, match="missing: no such folder"):
        fb.load_run(tmp_path / "missing")
    with pytest.raises(FitbenchError, match="missing: no such folder"):
        fb.fit(dense(10, digits), digits, resume=tmp_path / "missing", verbose=False)
