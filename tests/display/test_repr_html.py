"""Every displayable object has ``_repr_html_``, the same HTML a notebook shows: front ends that
ask the object rather than IPython's formatters (marimo, Streamlit's ``st.write``, Panel) show
it as HTML too. Until issue 25 they showed plain text."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import fitbench as fb
from fitbench._display_names import DISPLAYS
from fitbench.crossval import CrossValidation
from fitbench.diagnosis import Finding
from fitbench.diagnosis._finding import Findings
from fitbench.display import html
from tests.conftest import digits_subset

OURS = [(module, name) for module, name in DISPLAYS if module.startswith("fitbench.")]  # not Optuna's Study


@pytest.mark.parametrize("module, name", OURS)
def test_every_displayable_class_has_repr_html(module: str, name: str):
    cls = getattr(importlib.import_module(module), name)
    assert callable(getattr(cls, "_repr_html_", None)), f"{module}.{name} has no _repr_html_"


def shown(obj) -> str:
    page = obj._repr_html_()
    assert page == html(obj) and page.lstrip().startswith("<") and "</" in page
    return page


def test_objects_made_without_training(digits, tmp_path: Path):
    assert "10 classes" in shown(digits)
    (tmp_path / "config.yaml").write_text("name: cut-short\n")
    assert "cut-short" in shown(fb.load_run(tmp_path))
    assert "add dropout" in shown(Findings([Finding("overfitting", "warning", "loss climbs", "epoch 4", "add dropout")]))


@pytest.mark.slow  # trains two tiny runs: about 15 s
def test_objects_of_trained_runs(digits, tmp_path: Path):
    data = digits_subset(digits)
    runs = [fb.fit(fb.build_model(name, data), data, epochs=1, batch_size=30, runs_dir=tmp_path, verbose=False)
            for name in ("small", "first")]
    assert runs[0].name in shown(runs[0])
    assert "F1" in shown(runs[0].evaluate("test"))
    assert runs[1].name in shown(fb.compare(runs))
    result = CrossValidation(runs=runs, fold_accuracy=[0.91, 0.93], fold_macro_f1=[0.9, 0.92],
                             test_single_accuracy=[0.9, 0.94], vote_accuracy=0.95, vote_macro_f1=0.949)
    assert "2-fold" in shown(result)
