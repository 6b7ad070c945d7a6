"""End to end in a real browser: uvicorn serving on 127.0.0.1, headless Debian Chromium driven by
Selenium through /usr/bin/chromedriver (never Selenium Manager: nothing is downloaded).

Draws a "1" with pointer events on the canvas and waits for the model's answer; opens a run's
report from the runs page. Screenshots land in each test's tmp_path. Skips, saying why, where
Chromium or chromedriver is missing (CI installs both: .ci/run).
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fitbench.cli._serve import bind
from fitbench.web import create_app
from tests.web.conftest import MnistRun, png

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--window-size=1280,1000"]
WAIT_S = 30  # the first prediction loads the model and compiles its predict step


@pytest.fixture(scope="module")
def server(served: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a real uvicorn, on a free port of 127.0.0.1, in a thread of this process."""
    import uvicorn

    listener = bind("127.0.0.1", 0)  # as `fitbench serve` listens; the port is ours: no race
    app = create_app(served, cache_dir=tmp_path_factory.mktemp("browser-cache"))
    uv = uvicorn.Server(uvicorn.Config(app, log_config=None, log_level="warning"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:  # uvicorn has no "started" event to wait on: poll its flag
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    uv.should_exit = True
    thread.join(timeout=10)
    listener.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.mark.slow
def test_draw_a_one_and_the_model_reads_it(browser: Any, server: str, mnist_run: MnistRun, tmp_path: Path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server}/draw?run={mnist_run.id}")
    canvas = browser.find_element(By.ID, "canvas")
    assert browser.find_element(By.ID, "run").get_attribute("value") == mnist_run.id
    stroke = ActionChains(browser).move_to_element_with_offset(canvas, 0, -100).click_and_hold()
    for _ in range(20):  # a vertical line down the middle, 200 of the pad's 280 pixels
        stroke.move_by_offset(0, 10)
    stroke.release().perform()
    label = WebDriverWait(browser, WAIT_S).until(
        lambda driver: driver.find_element(By.ID, "label").get_attribute("data-label"))
    bars = browser.find_elements(By.CSS_SELECTOR, "#bars .bar")
    browser.save_screenshot(str(tmp_path / "draw.png"))
    assert label == "1", browser.find_element(By.ID, "message").text
    assert len(bars) == 10 and all(bar.is_displayed() for bar in bars)
    assert bars[1].get_attribute("class") == "bar best"
    assert "% sure" in browser.find_element(By.ID, "message").text


def test_upload_a_digit_then_an_empty_canvas(browser: Any, server: str, mnist_run: MnistRun, tmp_path: Path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server}/draw?run={mnist_run.id}")
    upload = tmp_path / "digit.png"
    upload.write_bytes(png(mnist_run.images[0]))  # the API tests check the model reads this one right
    browser.find_element(By.ID, "upload").send_keys(str(upload))
    expected = str(mnist_run.labels[0])
    WebDriverWait(browser, WAIT_S).until(
        lambda driver: driver.find_element(By.ID, "label").get_attribute("data-label") == expected)
    browser.find_element(By.ID, "clear").click()
    # A stroke that ends off the pad leaves it blank: the server's "nothing drawn" shows, bars go.
    browser.execute_script("""
        const pad = document.getElementById('canvas');
        pad.dispatchEvent(new PointerEvent('pointerdown', {pointerId: 7, clientX: -500, clientY: -500}));
        pad.dispatchEvent(new PointerEvent('pointerup', {pointerId: 7}));""")
    message = WebDriverWait(browser, WAIT_S).until(
        lambda driver: "nothing drawn" in driver.find_element(By.ID, "message").text
        and driver.find_element(By.ID, "message").text)
    assert message.startswith("nothing drawn") and not browser.find_elements(By.CSS_SELECTOR, "#bars .bar")
    assert browser.find_element(By.ID, "label").get_attribute("data-label") is None


def test_open_a_report_from_the_runs_page(browser: Any, server: str, mnist_run: MnistRun, tmp_path: Path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server}/")
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-id="{mnist_run.id}"]')
    assert "complete" in row.text and "first" in row.text
    assert "incomplete" in browser.find_element(By.CSS_SELECTOR, 'tr[data-id="damaged"]').text
    browser.save_screenshot(str(tmp_path / "runs.png"))
    row.find_element(By.CSS_SELECTOR, "a.open").click()
    WebDriverWait(browser, WAIT_S).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "section#scores"))
    assert "first-mnist" in browser.title
    images = browser.execute_script("return [...document.images].map(i => i.naturalWidth > 0)")
    assert images and all(images)  # every figure decoded: the report is self-contained
    browser.save_screenshot(str(tmp_path / "report.png"))


def test_the_draw_page_fits_a_phone_390_px_wide(browser: Any, server: str, mnist_run: MnistRun, tmp_path: Path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    try:
        browser.get(f"{server}/draw?run={mnist_run.id}")
        upload = tmp_path / "digit.png"
        upload.write_bytes(png(mnist_run.images[0]))
        browser.find_element(By.ID, "upload").send_keys(str(upload))
        WebDriverWait(browser, WAIT_S).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "#bars .bar"))
        browser.save_screenshot(str(tmp_path / "draw-390.png"))
        width, scroll = browser.execute_script(
            "return [document.documentElement.clientWidth, document.documentElement.scrollWidth]")
        assert width == 390 and scroll <= width, f"the page is {scroll} px wide in a {width} px window"
        pad = browser.find_element(By.ID, "canvas").rect
        assert pad["x"] >= 0 and pad["x"] + pad["width"] <= width
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
