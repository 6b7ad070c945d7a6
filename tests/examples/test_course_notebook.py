"""examples/course.ipynb: stored without outputs, runs top to bottom on the small setting
(nbclient, a python3 kernel), and its HTML (nbconvert) shows tables and pictures in headless
Chromium (skipped, saying why, without Chromium)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install -e '.[test]')")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "examples" / "course.ipynb"


def code_cells(notebook: Any) -> list[Any]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_stored_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert code_cells(notebook)
    for cell in code_cells(notebook):
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    (parameters,) = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    assert "FITBENCH_COURSE_SIZE" in parameters.source


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The notebook run on the small setting in a fresh kernel, in a temporary folder."""
    from nbclient import NotebookClient

    folder = tmp_path_factory.mktemp("course")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    source = str(ROOT / "src")
    environment = {"FITBENCH_COURSE_SIZE": "small", "FITBENCH_COURSE_RUNS": str(folder / "runs"),
                   "PYTHONPATH": os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))}
    previous = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)  # the kernel is a child process: it inherits these
    try:
        NotebookClient(notebook, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    nbformat.write(notebook, folder / "course.ipynb")
    return notebook


def outputs_of(notebook: Any, start: str) -> list[Any]:
    (cell,) = [cell for cell in code_cells(notebook) if cell.source.startswith(start)]
    return cell.outputs


@pytest.mark.slow
def test_the_course_runs_on_the_small_setting(executed: Any):
    assert not [output for cell in code_cells(executed) for output in cell.outputs if output.output_type == "error"]
    training = outputs_of(executed, "run = fb.fit(first")
    displays = [output for output in training if output.output_type in ("display_data", "execute_result")]
    bars = [output for output in displays if "fitbench-progress" in output.data.get("text/html", "")]
    figures = [output for output in displays if "image/png" in output.data]
    assert len(bars) == 1 and 'value="2" max="2"' in bars[0].data["text/html"]  # updated in place to the end
    assert len(figures) == 1  # one live figure, redrawn in place
    assert "fitbench-run" in displays[-1].data["text/html"]  # the run shows itself
    compared = outputs_of(executed, "fb.compare(")[0].data["text/html"]
    assert "95% interval" in compared and compared.count("<tr>") == 14  # heading + 13 tries
    assert "Best trial #" in outputs_of(executed, "import yaml")[-1].data["text/html"]


@pytest.mark.slow
def test_the_executed_notebook_shows_tables_and_pictures_in_chromium(executed: Any, tmp_path: Path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.skip("chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
    from nbconvert import HTMLExporter
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    page = tmp_path / "course.html"
    page.write_text(HTMLExporter().from_notebook_node(executed)[0], encoding="utf-8")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--no-first-run", "--window-size=1280,1000", f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    try:
        driver.get(page.as_uri())
        tables = driver.find_elements(By.CSS_SELECTOR, ".fitbench table")
        images = [image for image in driver.find_elements(By.CSS_SELECTOR, "img")
                  if driver.execute_script("return arguments[0].naturalWidth", image) > 0]
        assert len(tables) >= 10 and len(images) >= 20  # the displays drew their tables and decoded their PNGs
        assert any(table.is_displayed() and "accuracy" in table.text for table in tables)
        first_run = driver.find_element(By.CSS_SELECTOR, ".fitbench-run")
        driver.execute_script("arguments[0].scrollIntoView()", first_run)  # the training cell's display
        shot = Path(os.environ.get("FITBENCH_SCREENSHOT_DIR", tmp_path)) / "course-notebook.png"
        driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
    finally:
        driver.quit()


@pytest.mark.slow
def test_the_small_course_says_nothing_on_stderr_and_draws_each_figure_once(executed: Any):
    """Issue 25: a red TqdmWarning box in the tuning cell; every fb.fit cell showed its curves
    twice (live, then in the run's display); the diagnosis text described the full course; the
    course's findings (FitbenchWarnings) showed as red stderr boxes, now as notes."""
    stderr = [output.text for cell in code_cells(executed) for output in cell.outputs
              if output.output_type == "stream" and output.name == "stderr"]
    assert stderr == [], stderr
    notes = [output.data for cell in code_cells(executed) for output in cell.outputs
             if output.output_type == "display_data" and "fitbench-warning" in output.data.get("text/html", "")]
    assert any(note["text/plain"].startswith("fitbench: warning [label_changing_augmentation]") for note in notes)
    run_display = [output for output in outputs_of(executed, "run = fb.fit(first")
                   if output.output_type == "execute_result"][-1].data["text/html"]
    assert "<img" not in run_display and "drawn as it trained" in run_display  # the live figure was the one
    said = "".join(output.text for output in outputs_of(executed, "# Each try:") if output.output_type == "stream")
    assert said.startswith("small data: val accuracy ") and "(+0.0000 against small data)" in said


@pytest.mark.slow
def test_the_why_section_shows_suspect_labels_leaks_and_checked_maps(executed: Any):
    """Issue 27: section 8 ranks suspect labels from section 5's folds (nothing trained again),
    finds no copies across the notebook's splits but each of five planted ones, and draws four
    attribution maps with their sanity checks."""
    def shown(start: str) -> str:
        return [output for output in outputs_of(executed, start)
                if output.output_type == "execute_result"][-1].data["text/html"]

    suspects = shown("issues = fb.find_label_issues(cv)")
    assert 'class="fitbench-label-issues"' in suspects and "images of digits (2-fold out-of-sample" in suspects
    assert "data:image/png;base64," in suspects and "<th>suggested</th>" in suspects  # the grid and the table
    said = "".join(output.text for output in outputs_of(executed, "import dataclasses")
                   if output.output_type == "stream")
    splits, planted = said.split("with five training images copied into test:")
    assert splits.strip().endswith("no leaks")
    assert planted.count(" copies train #") == 5 and "5 copies across splits" in planted
    maps = shown("run.explain(")
    assert "4 integrated gradients map(s); randomisation: mean Spearman" in maps
    assert "deletion: top 10% beat random on" in maps and maps.count("<img") == 4
