"""The HTML report: self-contained, built from the run folder alone, every picture present, and
sections that need a model or data that do not load are omitted with a note, never a crash."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import fitbench as fb
from fitbench import plots
from fitbench.errors import FitbenchError
from fitbench.report import recorded_confusion, write_report
from tests.diagnosis.crafted import run_folder

PICTURES = ("history", "architecture", "confusion_val", "confused_pairs_val", "samples_train", "mistakes_val",
            "top_losses_val")


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> fb.Run:
    """A real run on 300 digits (reloadable from its config), 2 epochs."""
    data = fb.load_dataset("digits", seed=0, train_limit=300)
    return fb.fit(fb.build_model("small", data), data, epochs=2, batch_size=20, early_stopping=3,
                  runs_dir=tmp_path_factory.mktemp("runs"), name="small-digits", verbose=False)


def images(html: str) -> list[str]:
    return re.findall(r'<img src="([^"]*)"', html)


def test_report_is_one_self_contained_file_with_every_picture(trained: fb.Run):
    path = write_report(fb.load_run(trained.path))  # from the folder alone
    assert path == trained.path / "report.html"
    html = path.read_text(encoding="utf-8")
    sources = images(html)
    assert len(sources) == len(PICTURES) and all(src.startswith("data:image/png;base64,") for src in sources)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing to fetch: opens offline
    for section in ("diagnosis", "scores", "curves", "model", "confusion", "samples", "mistakes", "top-losses",
                    "config"):
        assert f'<section id="{section}">' in html
    assert sorted(p.stem for p in (trained.path / "figures").glob("*.png")) == sorted(
        [*PICTURES, "per_class_val"])
    assert "class=\"note\"" not in html  # nothing omitted


def test_report_numbers_come_from_the_run(trained: fb.Run):
    html = write_report(trained, trained.path / "again.html").read_text(encoding="utf-8")
    summary = plots.model_summary(trained.model)
    assert "Total params:" in summary and summary.splitlines()[-3].strip() in html  # Keras' own summary text
    val = trained.metrics["splits"]["val"]
    assert f"<td>{val['accuracy']:.4f}</td>" in html and f"<td>{val['n']:,}</td>" in html
    for score in plots.per_class_scores(recorded_confusion(trained, "val")):
        assert f"<td>{score.f1:.4f}</td>" in html
    for finding in trained.diagnose():
        assert f"{finding.severity} · {finding.code}" in html


def test_run_methods_draw_from_the_folder(trained: fb.Run):
    figure = trained.plot_history()
    assert [ax.get_title() for ax in figure.axes[:2]] == ["loss", "accuracy"]
    ax = trained.plot_confusion_matrix("test")
    assert ax.get_title().startswith("test confusion matrix: accuracy ")
    assert ax.get_title().endswith(f"{trained.metrics['splits']['test']['accuracy']:.4f}")
    with pytest.raises(FitbenchError, match="no train2 scores recorded"):
        trained.plot_confusion_matrix("train2")


def test_run_trained_on_arrays_omits_what_needs_the_data(tmp_path: Path, digits):
    path = run_folder(tmp_path)  # dataset: arrays, which the folder does not keep
    fb.build_model("small", digits).save(path / "model.keras")
    html = fb.load_run(path).report().read_text(encoding="utf-8")
    assert "omitted: this run was trained on arrays passed from Python" in html
    assert '<section id="model">' in html and len(images(html)) == 4  # curves, diagram, confusion, pairs


def test_run_without_a_model_file_still_reports(tmp_path: Path):
    html = write_report(run_folder(tmp_path), tmp_path / "r.html").read_text(encoding="utf-8")
    assert "summary and diagram omitted:" in html and "no model.keras in this run folder" in html
    assert len(images(html)) == 3  # curves, confusion, pairs: from history.csv and metrics.json


def test_report_into_a_missing_folder_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FitbenchError, match="folder .* does not exist"):
        write_report(run_folder(tmp_path), tmp_path / "nowhere" / "r.html")
