"""The run folder as a declared format: typed, bounded, versioned, read without Keras."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import fitbench as fb
from fitbench.cli import main
from fitbench.runs import FORMAT, read_run
from fitbench.runs._record import MAX_CLASSES
from tests.conftest import copy_run, heavy_modules_after

OLD = Path(__file__).parent / "fixtures" / "run-0.1.0"  # written by fitbench 0.1.0, model.keras left out


@pytest.fixture
def finished(tiny_run: Path) -> Path:
    return tiny_run


def test_views_import_neither_keras_nor_jax():
    assert heavy_modules_after("import fitbench.report, fitbench.diagnosis, fitbench.runs, fitbench.config, "
                               "fitbench.plots, fitbench.curriculum, fitbench.cli._runs, fitbench.trained") == []


def test_a_new_folder_holds_every_declared_file(finished: Path):
    record = read_run(finished)
    assert record.problems == [] and record.format == FORMAT
    assert record.metrics is not None and record.metrics.format == FORMAT
    val = record.metrics.splits["val"]
    assert len(val.per_class_precision or []) == len(val.per_class_recall or []) == val.classes == 10
    predictions = record.predictions("val")
    assert predictions.probabilities.dtype == np.float16 and predictions.probabilities.shape == (val.n, 10)
    assert (predictions.predicted == predictions.labels).mean() == pytest.approx(val.accuracy, abs=0.01)
    shown = record.images("val")
    assert shown.images.dtype == np.uint8 and len(shown.images) <= 35
    assert record.architecture.nodes[-1].kind == "Dense" and "Total params" in record.architecture.summary
    assert record.findings is not None and record.findings.before_training == []


def test_a_0_1_0_folder_still_opens(tmp_path: Path, capsys):
    run = fb.load_run(copy_run(OLD, tmp_path))
    assert run.record.format == 1 and run.metrics.epochs_run == 2 and run.metrics.splits["val"].n == 288
    assert run.problems == ["model.keras is missing: the trained model is lost"]
    assert [f.code for f in run.diagnose()] == ["underfitting", "noisy_validation"]
    html = run.report().read_text(encoding="utf-8")
    assert "which did not save it" in html and '<section id="confusion">' in html
    assert main(["runs", "--runs-dir", str(tmp_path / "runs")]) == 0
    assert capsys.readouterr().out.startswith("complete      2 epochs  val accuracy 0.1667")


@pytest.mark.parametrize(("name", "content", "problem"), [
    ("config.yaml", "name: [unclosed\n  dataset: {", "config.yaml is damaged ("),
    ("metrics.json", '{"epochs_run": 2, "splits": {"val": {"split": "val", "n": 1, "accuracy": 1.0, '
                     '"macro_f1": 1.0, "per_class_f1": [1.0], "confusion_matrix": [[1, 0]]}}}',
     "metrics.json is damaged (splits.val: confusion_matrix is not square (1 rows))"),
    ("metrics.json", json.dumps({"epochs_run": 10**9}), "metrics.json is damaged (epochs_run: Input should be"),
    ("metrics.json", '{"epochs_run": 2', "metrics.json is damaged (Expecting"),
    ("status.json", '{"state": "complete", "pid": "x"}', "status.json is damaged (pid: Input should be"),
])
def test_damage_is_one_line_naming_the_file(finished: Path, tmp_path: Path, name: str, content: str, problem: str):
    folder = copy_run(finished, tmp_path)
    (folder / name).write_text(content, encoding="utf-8")
    problems = read_run(folder).problems
    assert len(problems) == 1 and problems[0].startswith(problem) and "\n" not in problems[0]


def test_bounds_refuse_absurd_sizes_before_parsing(finished: Path, tmp_path: Path):
    folder = copy_run(finished, tmp_path)
    with (folder / "metrics.json").open("w") as handle:
        handle.write(" " * 60_000_000)
    assert read_run(folder).problems == ["metrics.json is too large (60.0 MB; a run's is at most 2 MB)"]
    wide = {"split": "val", "n": 0, "accuracy": 0, "macro_f1": 0, "per_class_f1": [0] * (MAX_CLASSES + 1),
            "confusion_matrix": [[0]]}
    (folder / "metrics.json").write_text(json.dumps({"splits": {"val": wide}}))
    assert "per_class_f1: List should have at most 1000 items" in read_run(folder).problems[0]


def test_a_truncated_model_is_damaged_not_missing(finished: Path, tmp_path: Path, capsys):
    folder = copy_run(finished, tmp_path)
    data = (folder / "model.keras").read_bytes()
    (folder / "model.keras").write_bytes(data[: len(data) // 2])
    assert read_run(folder).problems == ["model.keras is damaged (not a whole .keras file; truncated?)"]
    assert main(["evaluate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "model.keras is damaged" in err and "File not found" not in err


def test_damaged_predictions_are_refused_not_unpickled(finished: Path, tmp_path: Path):
    folder = copy_run(finished, tmp_path)
    np.savez(folder / "predictions.npz", val_labels=np.array([object()], dtype=object))
    record = read_run(folder)
    with pytest.raises(fb.errors.FitbenchError, match=r"^predictions.npz is damaged \("):
        record.predictions("val")
    html = fb.load_run(folder).report().read_text(encoding="utf-8")
    assert "omitted: predictions.npz is damaged" in html


def test_runs_schema_prints_every_file(capsys):
    assert main(["runs", "schema"]) == 0
    schemas = json.loads(capsys.readouterr().out)
    assert {"status.json", "config.yaml", "metrics.json", "architecture.json"} <= set(schemas)
    assert "confusion_matrix" in json.dumps(schemas["metrics.json"])


def test_a_pruned_trial_is_listed_as_pruned(tmp_path: Path, capsys):
    from fitbench.runs import mark_pruned
    from tests.diagnosis.crafted import run_folder

    trial = run_folder(tmp_path / "runs" / "study" / "trials", "study-t0001")
    mark_pruned(trial, "pruned after epoch 1: val_macro_f1 0.1000")
    assert main(["runs", "--runs-dir", str(tmp_path / "runs")]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("pruned        9 epochs") and line.endswith("(pruned after epoch 1: val_macro_f1 0.1000)")


def test_a_broken_config_is_one_line_everywhere(finished: Path, tmp_path: Path, capsys):
    folder = copy_run(finished, tmp_path)
    (folder / "config.yaml").write_text("name: x\ndataset: {name: digits\nmodel: [", encoding="utf-8")
    assert main(["evaluate", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("fitbench: error: ") and "config.yaml is damaged (" in err[-1]
    assert "cannot tell which data this run used" in err[-1]
    assert main(["diagnose", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "error: [damaged_folder] config.yaml is damaged (" in out and "nothing in this run" not in out
