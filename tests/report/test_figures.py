"""A report's pictures are drawn once: reused while the numbers they show are unchanged,
redrawn when a saved file changes, never trusted when damaged, and reading them writes nothing."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest

from fitbench import _io, plots
from fitbench.report import write_report
from fitbench.report._figures import INDEX, FigureStore, picture_key
from fitbench.runs import _folder
from tests.diagnosis.crafted import HEALTHY, run_folder

PICTURES = ("history", "confusion_val", "confused_pairs_val", "per_class_val")  # a 0.1.0 folder's


def pictures(html: str) -> list[str]:
    return re.findall(r'<img src="([^"]*)"', html)


def stats(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under ``folder``: inode, size and modification time (a rewrite changes them)."""
    return {str(path.relative_to(folder)): (path.stat().st_ino, path.stat().st_size, path.stat().st_mtime_ns)
            for path in sorted(folder.rglob("*")) if path.is_file()}


def no_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.figure import Figure

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a picture was drawn again")

    monkeypatch.setattr(Figure, "savefig", refuse)


def test_an_unchanged_run_reuses_its_pictures_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    run = run_folder(tmp_path)
    first = write_report(run, tmp_path / "first.html").read_text(encoding="utf-8")
    assert sorted(path.stem for path in (run / "figures").glob("*.png")) == sorted(PICTURES)
    before = stats(run)
    no_drawing(monkeypatch)
    again = write_report(run, tmp_path / "again.html").read_text(encoding="utf-8")
    assert pictures(again) == pictures(first) and len(pictures(first)) == 3
    assert stats(run) == before  # read, not rewritten: a report written elsewhere leaves the run alone


def test_a_changed_file_redraws_the_pictures_drawn_from_it(tmp_path: Path):
    run = run_folder(tmp_path)
    first = pictures(write_report(run, tmp_path / "first.html").read_text(encoding="utf-8"))
    before = stats(run / "figures")
    history = {key: values[:-1] for key, values in HEALTHY.items()}  # one epoch fewer
    _io.write_csv(run / _folder.HISTORY, ["epoch", *history, "time_s"],
                  [[k + 1, *[values[k] for values in history.values()], 0.5] for k in range(len(history["loss"]))])
    again = pictures(write_report(run, tmp_path / "again.html").read_text(encoding="utf-8"))
    after = stats(run / "figures")
    assert again[0] != first[0] and after["history.png"] != before["history.png"]
    assert again[1:] == first[1:]
    assert {name: after[name] for name in after if name.startswith("confus")} == \
        {name: before[name] for name in before if name.startswith("confus")}


def test_a_damaged_cache_is_redrawn_not_trusted(tmp_path: Path):
    run = run_folder(tmp_path)
    first = pictures(write_report(run, tmp_path / "first.html").read_text(encoding="utf-8"))
    (run / "figures" / "confusion_val.png").write_bytes(b"not the picture")
    assert pictures(write_report(run, tmp_path / "again.html").read_text(encoding="utf-8")) == first
    assert (run / "figures" / "confusion_val.png").read_bytes().startswith(b"\x89PNG")
    (run / "figures" / "index.json").write_text("{", encoding="utf-8")
    assert pictures(write_report(run, tmp_path / "third.html").read_text(encoding="utf-8")) == first


def test_a_pictures_key_is_its_numbers_and_its_drawing():
    curves = plots.history_curves(HEALTHY)
    assert picture_key(plots.plot_history, curves) == picture_key(plots.plot_history, plots.history_curves(HEALTHY))
    assert picture_key(plots.plot_history, curves) != picture_key(plots.plot_history, curves._replace(best_epoch=2))
    matrix = plots.confusion_matrix([[5, 1], [2, 7]])
    assert picture_key(plots.plot_confusion_matrix, matrix) != picture_key(plots.plot_confused_pairs, matrix)


def test_a_fifo_or_linked_index_is_not_read(tmp_path: Path):
    (tmp_path / "elsewhere.json").write_text('{"figures": {"history": {"key": "k", "png": "p"}}}')
    (tmp_path / "linked").mkdir()
    (tmp_path / "linked" / INDEX).symlink_to(tmp_path / "elsewhere.json")
    assert FigureStore(tmp_path / "linked")._index.figures == {}
    (tmp_path / "fifo").mkdir()
    os.mkfifo(tmp_path / "fifo" / INDEX)
    made: list[FigureStore] = []  # in a thread: a regression blocks there, and the assertion fails
    reader = threading.Thread(target=lambda: made.append(FigureStore(tmp_path / "fifo")), daemon=True)
    reader.start()
    reader.join(30)
    assert made and made[0]._index.figures == {}


def test_the_web_page_reuses_the_pictures_saved_in_the_run_and_writes_nothing_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from fitbench.runs import read_run
    from fitbench.web._reports import ViewRun

    run = run_folder(tmp_path)
    first = pictures(write_report(run, tmp_path / "first.html").read_text(encoding="utf-8"))  # as `fitbench train` does
    before = stats(run)
    no_drawing(monkeypatch)
    shown = tmp_path / "scratch" / "runs" / run.name  # where the web page saves what it draws
    shown.mkdir(parents=True)
    again = pictures(write_report(ViewRun(read_run(run), shown), tmp_path / "web.html").read_text(encoding="utf-8"))
    assert again == first
    assert stats(run) == before
