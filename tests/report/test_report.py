"""The HTML report: self-contained, built from the run folder alone, every picture present, and
sections that need a model or data that do not load are omitted with a note, never a crash."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import fitbench as fb
from fitbench import models, plots
from fitbench.errors import FitbenchError
from fitbench.report import recorded_confusion, write_report
from tests.conftest import copy_run, digits_subset
from tests.diagnosis.crafted import run_folder

PICTURES = ("history", "architecture", "confusion_val", "confused_pairs_val", "samples_train", "mistakes_val",
            "top_losses_val")


@pytest.fixture(scope="module")
def trained(tiny_run: Path, tmp_path_factory) -> fb.Run:
    """A copy of the session's tiny run (the report is written into it)."""
    return fb.load_run(copy_run(tiny_run, tmp_path_factory.mktemp("report")))


def images(html: str) -> list[str]:
    return re.findall(r'<img src="([^"]*)"', html)


@pytest.mark.slow
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
    summary = models.model_summary(trained.model)
    assert "Total params:" in summary and summary.splitlines()[-3].strip() in html  # Keras' own summary text
    val = trained.metrics.splits["val"]
    assert f"<td>{val.accuracy:.4f}</td>" in html and f"<td>{val.n:,}</td>" in html
    for score in plots.per_class_scores(recorded_confusion(trained, "val")):
        assert f"<td>{score.f1:.4f}</td>" in html
    for finding in trained.diagnose():
        assert f"{finding.severity} · {finding.code}" in html


def test_run_methods_draw_from_the_folder(trained: fb.Run):
    figure = trained.plot_history()
    assert [ax.get_title() for ax in figure.axes[:2]] == ["loss", "accuracy"]
    ax = trained.plot_confusion_matrix("test")
    assert ax.get_title().startswith("test confusion matrix: accuracy ")
    assert ax.get_title().endswith(f"{trained.metrics.splits['test'].accuracy:.4f}")
    with pytest.raises(FitbenchError, match="no train2 scores recorded"):
        trained.plot_confusion_matrix("train2")


@pytest.mark.slow
def test_the_same_report_without_the_model_or_the_data(trained: fb.Run, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    copy = tmp_path / "elsewhere" / trained.path.name
    shutil.copytree(trained.path, copy)
    (copy / "model.keras").unlink()
    (copy / "report.html").unlink(missing_ok=True)

    def unavailable(*args: object, **kwargs: object) -> None:
        raise AssertionError("a view loaded the model or the data")

    monkeypatch.setattr("fitbench.trained._run.load_model", unavailable)
    monkeypatch.setattr("fitbench.trained._run.load_data", unavailable)
    before = write_report(fb.load_run(trained.path), tmp_path / "before.html").read_text(encoding="utf-8")
    after = write_report(fb.load_run(copy), tmp_path / "after.html").read_text(encoding="utf-8")
    assert re.findall(r'<section id="([^"]+)"', after) == re.findall(r'<section id="([^"]+)"', before)
    assert len(images(after)) == len(images(before)) == len(PICTURES)
    assert sorted(p.stem for p in (copy / "figures").glob("*.png")) == sorted([*PICTURES, "per_class_val"])


@pytest.mark.slow
def test_run_trained_on_arrays_has_every_picture(tmp_path: Path, digits):
    small = digits_subset(digits, train=200, test=False)
    run = fb.fit(fb.build_model("small", digits), small, epochs=1, runs_dir=tmp_path, verbose=False)
    html = run.report().read_text(encoding="utf-8")
    assert 'class="note"' not in html and len(images(html)) == len(PICTURES)


def test_a_0_1_0_folder_reports_what_it_lacks(tmp_path: Path):
    html = write_report(run_folder(tmp_path), tmp_path / "r.html").read_text(encoding="utf-8")
    assert "summary and diagram omitted: architecture.json is missing: this folder was written by " \
           "fitbench 0.1.0 (format 1), which did not save it" in html
    assert "omitted: images.npz is missing" in html
    assert len(images(html)) == 3  # curves, confusion, pairs: from history.csv and metrics.json


def test_report_into_a_missing_folder_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FitbenchError, match="folder .* does not exist"):
        write_report(run_folder(tmp_path), tmp_path / "nowhere" / "r.html")
