"""Label audits on the web page: the suspects ``fitbench audit`` saved (``label_issues.json`` and
``.npz``, one declared format for writing and reading), listed on the runs page and shown as an
image grid and a table, read from the files alone; damage is one line naming the file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from fitbench.audit import LabelIssues, Suspect
from fitbench.runs._label_audit import AuditSuspect, LabelAudit, read_audit
from fitbench.web import create_app
from tests.conftest import ROOT
from tests.runs.folder_fuzz import values
from tests.web.conftest import LOCAL

SUSPECTS = [Suspect(1901, "val", "scans/9/<b>1901.png", 9, 4, 0.93, 0.02), Suspect(2130, "test", None, 4, 9, 0.8, 0.05),
            Suspect(7, "val", None, 1, 7, 0.6, 0.1)]


def audited(runs: Path, name: str = "audit-digits") -> Path:
    """An audit folder as ``fitbench audit`` leaves it (its record only: no folds trained)."""
    folder = runs / name
    folder.mkdir(parents=True)
    images = np.random.default_rng(0).uniform(0, 1, (len(SUSPECTS), 8, 8)).astype(np.float32)
    LabelIssues(SUSPECTS, images, tuple("0123456789"), 1797, 3, "digits", folder).write_record()
    return folder


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(tmp_path / "runs", cache_dir=tmp_path / "cache"), base_url=LOCAL,
                      raise_server_exceptions=False)


def test_the_record_reads_back_as_written(tmp_path: Path) -> None:
    folder = audited(tmp_path / "runs")
    record = read_audit(folder)
    assert [AuditSuspect(**s._asdict()) for s in SUSPECTS] == record.suspects
    assert (record.audited, record.folds, record.count, record.dataset) == (1797, 3, 3, "digits")


def test_the_runs_page_links_the_audit_and_its_page_shows_the_suspects(client: TestClient, tmp_path: Path) -> None:
    runs = client.get("/").text
    assert 'href="/audit/audit-digits"' not in runs  # none yet
    audited(tmp_path / "runs")
    assert 'href="/audit/audit-digits"' in client.get("/").text  # an audit saved since: listed on reload
    page = client.get("/audit/audit-digits")
    assert page.status_code == 200
    grid = page.text.split('id="grid"', 1)[1].split("</div>", 1)[0]
    assert grid.count('<img src="data:image/png;base64,') == 3 and "#1901: 9 \u2192 4?" in grid
    assert "&lt;b&gt;1901.png" in page.text and "<b>1901" not in page.text  # a file name is text, never markup
    assert page.text.count("<tr><td") == 3 and "3 suspect labels among 1,797 images" in page.text
    assert client.get("/api/audits").json() == ["audit-digits"]
    assert client.get("/api/audits/audit-digits").json()["suspects"][0]["index"] == 1901


def test_damaged_files_are_one_line_naming_the_file(client: TestClient, tmp_path: Path) -> None:
    folder = audited(tmp_path / "runs")
    (folder / "label_issues.npz").write_bytes(b"PK not a zip")
    page = client.get("/audit/audit-digits")  # the suspects still show; the grid says why it is missing
    problem = page.text.split('id="grid-problem">', 1)[1].split("</p>", 1)[0]
    assert page.status_code == 200 and problem.startswith("images omitted: label_issues.npz") and "\n" not in problem
    record = json.loads((folder / "label_issues.json").read_text())
    record["suspects"][0]["given"] = 12  # a class the audit does not have
    (folder / "label_issues.json").write_text(json.dumps(record))
    for url in ("/audit/audit-digits", "/api/audits/audit-digits"):
        answer = client.get(url)
        assert answer.status_code == 422 and "label_issues.json is damaged (suspect #1901 names class 12" in answer.text
    assert 'href="/audit/audit-digits"' in client.get("/").text  # still listed, for its page to say what is wrong


@pytest.mark.parametrize("audit_id", ["../outside", "%2e%2e/outside", "/etc", "audit-digits/../../outside", ".hidden",
                                      "linked", "no-such-audit"])
def test_only_audits_really_under_the_runs_dir_are_served(client: TestClient, tmp_path: Path, audit_id: str) -> None:
    audited(tmp_path / "runs")
    audited(tmp_path, "outside")
    audited(tmp_path / "runs", ".hidden")
    (tmp_path / "runs" / "linked").symlink_to(tmp_path / "outside")
    assert client.get(f"/audit/{audit_id}").status_code == 404
    assert client.get("/api/audits").json() == ["audit-digits"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(field=st.sampled_from(["dataset", "audited", "folds", "class_names", "count", "suspects", "format"]),
       value=values, where=st.sampled_from([None, 0, -1]))
def test_any_damaged_field_is_one_line_never_a_crash(tmp_path_factory: pytest.TempPathFactory, field: str,
                                                     value: object, where: int | None) -> None:
    runs = tmp_path_factory.mktemp("fuzz") / "runs"
    folder = audited(runs)
    record = json.loads((folder / "label_issues.json").read_text())
    if where is None or field != "suspects":
        record[field] = value
    else:
        record["suspects"][where]["confidence"] = value
    (folder / "label_issues.json").write_text(json.dumps(record))
    client = TestClient(create_app(runs, cache_dir=runs.parent / "cache"), base_url=LOCAL,
                        raise_server_exceptions=False)
    for url in ("/", "/audit/audit-digits", "/api/audits/audit-digits"):
        answer = client.get(url)
        assert answer.status_code in (200, 422), answer.text[-300:]
        if answer.status_code == 422 and url.startswith("/api/"):
            detail = answer.json()["detail"]
            assert detail.startswith("audit audit-digits: label_issues.json ") and "\n" not in detail


@given(given_class=st.integers(0, 12), count=st.integers(0, 5), audited_images=st.integers(0, 5))
def test_the_record_refuses_what_no_audit_writes(given_class: int, count: int, audited_images: int) -> None:
    suspect = {"index": 3, "split": "val", "given": given_class, "suggested": 0, "confidence": 0.9,
               "given_probability": 0.1}
    document = {"dataset": "digits", "audited": audited_images, "folds": 3, "class_names": list("0123456789"),
                "count": count, "suspects": [suspect]}
    valid = given_class < 10 and 1 <= count <= audited_images
    try:
        LabelAudit.model_validate(document)
    except ValidationError:
        assert not valid
    else:
        assert valid


@pytest.mark.slow  # trains two folds of one epoch in a subprocess
def test_audit_command_saves_what_the_web_page_shows(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "fitbench.cli", "audit", "digits", "--folds", "2", "--runs-dir",
               str(tmp_path / "runs"), "--quiet", "--set", "training.epochs=1"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert str(tmp_path / "runs" / "audit-digits" / "label_issues.json") in done.stdout
    client = TestClient(create_app(tmp_path / "runs", cache_dir=tmp_path / "cache"), base_url=LOCAL)
    record = client.get("/api/audits/audit-digits").json()
    assert record["count"] > 0 and record["folds"] == 2
    page = client.get("/audit/audit-digits").text
    assert page.count('<img src="data:image/png;base64,') == min(50, record["count"])
