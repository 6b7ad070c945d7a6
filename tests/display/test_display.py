"""Each rich display parsed as HTML: its numbers are the object's, its pictures are inline
PNGs that decode, no script anywhere, and each stays under 200 kB; a notebook shows each one."""

from __future__ import annotations

import base64
import importlib
from html.parser import HTMLParser
from pathlib import Path

import optuna
import pytest

import fitbench as fb
from fitbench._display_names import DISPLAYS
from fitbench.crossval import CrossValidation
from fitbench.diagnosis import Finding
from fitbench.diagnosis._finding import Findings
from fitbench.display import html
from fitbench.display._html import DRAW
from fitbench.runs import load_saved_run
from tests.conftest import digits_subset

PNG = b"\x89PNG\r\n\x1a\n"


class Parsed(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.images: list[bytes] = []
        self.cells: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []
        self._cell: list[str] | None = None
        self.feed(html)
        self.size = len(html.encode())

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            src = dict(attrs)["src"]
            assert src.startswith("data:image/png;base64,")
            self.images.append(base64.b64decode(src.split(",", 1)[1]))
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def parsed(obj) -> Parsed:
    page = Parsed(html(obj))
    assert "script" not in page.tags and page.size < 200_000
    assert all(image.startswith(PNG) for image in page.images)
    return page


@pytest.fixture(scope="module")
def runs(digits, tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs")
    data = digits_subset(digits)
    return [fb.fit(fb.build_model(name, data), data, epochs=2, batch_size=30, runs_dir=folder, verbose=False)
            for name in ("small", "first")]


def test_dataset(digits):
    page = parsed(digits)
    sizes = digits.sizes()
    assert [sizes["train"], sizes["val"], sizes["test"]] == [int(page.cells[5 * k + 6].replace(",", ""))
                                                             for k in range(3)]
    assert page.cells[5:10] == ["train", f"{sizes['train']:,}", "(8, 8)", "0 .. 1", "0 .. 9"]
    assert "10 classes" in page.all_text and len(page.images) == 1


def test_dataset_unpacks_like_the_course(digits):
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = digits
    assert x_train is digits.x_train and y_val is digits.y_val and x_test is digits.x_test


@pytest.mark.slow
def test_run(runs):
    run = runs[0]
    page = parsed(run)
    val = run.metrics.splits["val"]
    assert run.name in page.all_text and "complete: 2 epochs" in page.all_text
    assert f"{val.accuracy:.4f}" in page.cells and f"{val.macro_f1:.4f}" in page.cells
    assert len(page.images) == 1 and "Diagnosis" in page.all_text


def test_a_run_folder_with_nothing_but_its_config_still_shows(tmp_path: Path):
    (tmp_path / "config.yaml").write_text("name: cut-short\n")
    page = parsed(fb.load_run(tmp_path))
    assert "Run cut-short" in page.all_text and page.images == []


@pytest.mark.slow
def test_evaluation(runs):
    evaluation = runs[0].evaluate("test")
    page = parsed(evaluation)
    assert [f"{evaluation.accuracy:.4f}", f"{evaluation.macro_f1:.4f}", f"{evaluation.loss:.4f}"] == page.cells[3:6]
    per_class = page.cells[page.cells.index("F1") + 1:]
    assert per_class[1::2] == [f"{f1:.4f}" for f1 in evaluation.per_class_f1]
    assert len(page.images) == 1  # the confusion heatmap


def test_comparison_states_the_noise(runs):
    comparison = fb.compare(runs)
    page = parsed(comparison)
    best = comparison.rows[0]
    assert f"{best.val_accuracy:.4f} ± {best.val_half_width:.4f}" in page.cells
    assert "95% interval" in page.all_text and len(page.images) == 1


def test_crossval(runs):
    result = CrossValidation(runs=runs, fold_accuracy=[0.91, 0.93], fold_macro_f1=[0.9, 0.92],
                             test_single_accuracy=[0.9, 0.94], vote_accuracy=0.95, vote_macro_f1=0.949)
    page = parsed(result)
    assert page.cells[4:8] == ["1", "0.9100", "0.9000", "0.9000"]
    assert "2-fold" in page.all_text and "accuracy 0.9500, macro F1 0.9490" in page.all_text
    assert "0.9200" in page.all_text  # one model on average


def test_findings():
    findings = Findings([Finding("overfitting", "warning", "validation loss climbs", "from epoch 4", "add dropout")])
    page = parsed(findings)
    assert "warning [overfitting] validation loss climbs" in page.all_text and "add dropout" in page.all_text
    assert "Nothing in this run needs attention" in parsed(Findings()).all_text


def test_study():
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1) - trial.suggest_float("y", 0, 1) / 10, n_trials=12)
    page = Parsed(html(study))
    assert page.size < 200_000 and "script" not in page.tags
    assert f"Best trial #{study.best_trial.number}: score {study.best_value:.4f}" in page.all_text
    assert "12 complete" in page.all_text and "from 12 complete trials." in page.all_text
    assert len(page.images) == 2 and all(image.startswith(PNG) for image in page.images)


def test_a_notebook_shows_each_object_as_its_html(digits, tmp_path: Path, kernel):
    (tmp_path / "config.yaml").write_text("name: cut-short\n")
    for obj in (digits, fb.load_run(tmp_path), load_saved_run(tmp_path), Findings()):
        assert kernel.shown(obj)["text/html"] == html(obj)


def test_every_display_names_a_class_and_a_drawing():
    for (module, name), draw in DISPLAYS.items():
        assert isinstance(getattr(importlib.import_module(module), name), type) and draw in DRAW


def test_an_object_without_a_display_is_a_type_error():
    with pytest.raises(TypeError, match="no display for int objects; it shows Dataset, SavedRun"):
        html(3)
