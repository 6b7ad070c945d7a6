"""The runs page names each run's data set (two runs called "first" on MNIST and on Fashion
looked the same), and on a phone keeps the essentials on screen, the draw link among them
(issue 25: at 390 px only 3 columns showed and the draw link was off screen)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fitbench.web import create_app
from tests.web.conftest import LOCAL

CSS = Path(__file__).parents[2] / "src" / "fitbench" / "web" / "static" / "style.css"


@pytest.fixture(scope="module")
def page(served: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return TestClient(create_app(served, cache_dir=tmp_path_factory.mktemp("cache")), base_url=LOCAL).get("/").text


def row(page: str, run_id: str) -> str:
    match = re.search(rf'<tr class="state-\w+" data-id="{re.escape(run_id)}">(.*?)</tr>', page, re.S)
    assert match, f"no row for {run_id}"
    return match.group(1)


def test_each_run_names_its_data_set(page: str):
    assert "<th>data</th>" in page
    assert '<td class="data">digits</td>' in row(page, "digits-8x8")


def test_a_phone_hides_only_the_wide_columns(page: str):
    cells = re.findall(r"<td( class=\"[^\"]*\")?>", row(page, "digits-8x8"))
    kept = [cell for cell in cells if "wide" not in cell]
    assert len(kept) == 6  # tick, run, data, state, val acc, draw
    rule = re.search(r"@media \(max-width: 600px\) \{[^}]*#runs \.wide \{ display: none; \}", CSS.read_text())
    assert rule, "style.css no longer hides the wide columns on a phone"
