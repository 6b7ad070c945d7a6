"""`fitbench report`, `compare` and `diagnose` through subprocess, as users run them; bad input
in-process (one line on stderr, exit code 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fitbench.cli import main
from tests.cli.test_cli import fitbench
from tests.diagnosis.crafted import OVERFIT, run_folder, split_record


@pytest.mark.slow
def test_report_writes_one_file_and_prints_its_path(tmp_path: Path):
    run = run_folder(tmp_path)
    result = fitbench("report", str(run), "-o", str(tmp_path / "out.html"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "out.html")
    html = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "data:image/png;base64," in html
    assert (run / "figures" / "history.png").is_file()


@pytest.mark.slow
def test_compare_prints_the_table_best_first(tmp_path: Path):
    worse = run_folder(tmp_path, "worse", history=OVERFIT, splits={"val": split_record("val", 200, 0.88)})
    better = run_folder(tmp_path, "better")
    result = fitbench("compare", str(worse), str(better), "-o", str(tmp_path / "c.html"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["run", "model", "params"]
    assert [line.split()[0] for line in lines[1:3]] == ["better", "worse"]
    assert lines[-1] == str(tmp_path / "c.html") and (tmp_path / "c.html").is_file()


def test_diagnose_json_is_a_list_of_findings(tmp_path: Path):
    run = run_folder(tmp_path, history=OVERFIT, stopping=None, stopped_early=False,
                     splits={"val": split_record("val", 200, 0.9)})
    result = fitbench("diagnose", str(run), "--json")
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)
    assert [f["code"] for f in findings] == ["overfitting", "noisy_validation", "metric_loss_disagree"]
    assert all(list(f) == ["code", "severity", "verdict", "evidence", "advice"] for f in findings)
    assert findings[0]["verdict"] == "overfitting began at epoch 9 and nothing stopped it"


def test_diagnose_prints_findings_as_text(tmp_path: Path, capsys):
    assert main(["diagnose", str(run_folder(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "no findings: nothing in this run needs attention"


@pytest.mark.parametrize("command", [["report"], ["diagnose"], ["compare"], ["diagnose", "--json"]])
def test_a_folder_that_is_not_a_run_is_one_line_exit_2(tmp_path: Path, capsys, command: list[str]):
    assert main([*command, str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("fitbench: error: ") and "not a run folder" in error and error.count("\n") == 1


def test_report_to_a_missing_folder_is_one_line_exit_2(tmp_path: Path, capsys):
    assert main(["report", str(run_folder(tmp_path)), "-o", str(tmp_path / "no" / "r.html")]) == 2
    assert "does not exist" in capsys.readouterr().err
