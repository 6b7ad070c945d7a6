"""Issue 25, on a phone 390 px wide in headless Chromium: the runs page keeps a run's name, its
data set and its draw link on screen (only 3 columns showed, the draw link off screen), and a
report's training curves stay readable (they were shrunk to the screen, their text unreadable).

The browser and the server are test_browser's fixtures (one Chromium setup); skipped, saying
why, without Chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import MnistRun
from tests.web.test_browser import WAIT_S, browser, server  # noqa: F401  the shared fixtures

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
READABLE_PX = 350  # a curve figure narrower than this on screen has text too small to read


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:  # noqa: F811  the imported fixture
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    yield browser
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def right_edges(driver: Any, elements: list[Any]) -> list[float]:
    return [driver.execute_script("return arguments[0].getBoundingClientRect().right", element) for element in elements]


def page_width(driver: Any) -> tuple[int, int]:
    """The window's width and the page's, in CSS pixels: wider means scrolling sideways."""
    return tuple(driver.execute_script(
        "return [document.documentElement.clientWidth, document.documentElement.scrollWidth]"))


@pytest.mark.slow  # trains the shared MNIST run (~15 s) and starts Chromium
def test_the_runs_page_keeps_name_data_and_draw_link_on_a_phone(phone: Any, server: str,  # noqa: F811
                                                                 mnist_run: MnistRun, tmp_path: Path):
    from selenium.webdriver.common.by import By

    phone.get(f"{server}/")
    row = phone.find_element(By.CSS_SELECTOR, f'tr[data-id="{mnist_run.id}"]')
    name = row.find_element(By.CSS_SELECTOR, "a.open")
    data = row.find_element(By.CSS_SELECTOR, "td.data")
    draw = row.find_element(By.CSS_SELECTOR, 'a[href^="/draw?run="]')
    phone.save_screenshot(str(tmp_path / "runs-390.png"))
    width, scroll = page_width(phone)
    assert width == 390 and scroll <= width, f"the runs page is {scroll} px wide in a {width} px window"
    assert all(element.is_displayed() for element in (name, data, draw))
    assert max(right_edges(phone, [name, data, draw])) <= width
    assert (name.text, data.text) == ("first-mnist", "idx")


@pytest.mark.slow  # trains the shared MNIST run, draws its report in a drawing process, starts Chromium
def test_a_reports_curves_are_readable_on_a_phone(phone: Any, server: str, mnist_run: MnistRun,  # noqa: F811
                                                  tmp_path: Path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    phone.get(f"{server}/report/{mnist_run.id}")
    WebDriverWait(phone, WAIT_S).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "section#curves img"))
    phone.save_screenshot(str(tmp_path / "report-390.png"))
    width, scroll = page_width(phone)
    assert width == 390 and scroll <= width, f"the report is {scroll} px wide in a {width} px window"
    for image in phone.find_elements(By.CSS_SELECTOR, "section#curves img"):
        shown, natural = phone.execute_script(
            "return [arguments[0].getBoundingClientRect().width, arguments[0].naturalWidth]", image)
        # At its own size (scrolling sideways within its figure), or at least READABLE_PX wide.
        assert shown >= min(natural, READABLE_PX), f"a curve figure {natural} px wide is shown {shown} px wide"
