"""The curriculum audits its data set's labels from the cross-validation's folds, writes the
audit's page beside them, and its report links that page (issue 27)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fitbench.audit import CSV, PAGE
from fitbench.curriculum import write_curriculum_report
from tests.conftest import ROOT

CV = "try10-cross-validation"


def summary_with_audit(out: Path, audit: object) -> None:
    out.mkdir(parents=True, exist_ok=True)
    step = {"id": CV, "kind": "cv", "runs": [], "audit": audit}
    (out / "curriculum.json").write_text(json.dumps({"dataset": "digits", "seeds": 1, "quick": True, "steps": [step]}))


def test_the_report_links_the_audit_page_relatively_with_its_summary_line(tmp_path: Path):
    summary_with_audit(tmp_path, {"summary": "3 suspect labels among 1,300 images of digits <b>",
                                  "suspects": 3, "top": "image 7 (val): labelled 4, looks like 9 (p 0.91)"})
    (tmp_path / CV).mkdir()
    (tmp_path / CV / PAGE).write_text("<html></html>")
    html = write_curriculum_report(tmp_path).read_text()
    assert f'<a href="{CV}/{PAGE}">' in html
    assert ("3 suspect labels among 1,300 images of digits &lt;b&gt;; most doubtful: image 7 (val): labelled 4, "
            "looks like 9 (p 0.91).") in html  # the file's text is escaped


def test_no_link_when_the_audit_page_is_gone_or_the_record_is_not_an_audit(tmp_path: Path):
    summary_with_audit(tmp_path / "gone", {"summary": "3 suspect labels", "suspects": 3, "top": None})
    summary_with_audit(tmp_path / "odd", ["javascript:alert(1)"])
    (tmp_path / "odd" / CV).mkdir()
    (tmp_path / "odd" / CV / PAGE).write_text("<html></html>")
    for out in (tmp_path / "gone", tmp_path / "odd"):
        html = write_curriculum_report(out).read_text()
        assert PAGE not in html and "Audit of the labels" not in html


def curriculum(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fitbench.cli", "curriculum", "--dataset", "digits", "--quick",
                           "--only", "try10", "-o", str(out)], cwd=ROOT, text=True, capture_output=True, timeout=600)


@pytest.mark.slow  # trains 3 quick folds: about 40 s
def test_the_cross_validation_step_audits_the_labels_and_a_rerun_reuses_its_folds(tmp_path: Path):
    first = curriculum(tmp_path)
    assert first.returncode == 0, first.stderr
    folder = tmp_path / CV
    assert re.search(r"try10-cross-validation: \d+ suspect labels among [\d,]+ images of digits \(3-fold", first.stdout)
    assert (folder / PAGE).is_file() and (folder / CSV).read_text().startswith("rank,index,split,path,given")
    html = (tmp_path / "report.html").read_text()
    assert f'<a href="{CV}/{PAGE}">The audit of the data set</a>' in html and "most doubtful: image " in html
    folds = sorted(folder.glob("*/status.json"))
    trained = [path.stat().st_mtime for path in folds]
    (folder / PAGE).unlink()

    second = curriculum(tmp_path)
    assert second.returncode == 0, second.stderr
    assert len(folds) == 3 and [path.stat().st_mtime for path in folds] == trained  # the folds were reused
    assert (folder / PAGE).is_file() and f'href="{CV}/{PAGE}"' in (tmp_path / "report.html").read_text()
