"""The draw page's "what it looked at": ``POST /api/predict`` answers with the attribution map of
its answer over the image the model saw, computed through ``fitbench.explain`` on the model the
server keeps loaded, with the sanity checks it passed; the page lays it over its 28x28 view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from fitbench.web import create_app
from tests.web.conftest import LOCAL, MnistRun, png
from tests.web.test_browser import WAIT_S, browser, server  # noqa: F401  the browser tests' fixtures


@pytest.fixture(scope="module")
def client(served: Path, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return TestClient(create_app(served, cache_dir=tmp_path_factory.mktemp("cache")), base_url=LOCAL)


def predict(client: TestClient, run: str, image: np.ndarray, **params: Any) -> dict[str, Any]:
    response = client.post("/api/predict", params={"run": run, **params},
                           files={"file": ("digit.png", png(image), "image/png")})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_answer_says_what_the_model_looked_at(client: TestClient, mnist_run: MnistRun) -> None:
    from fitbench.explain import integrated_gradients
    from fitbench.trained import load_run

    answers = [predict(client, mnist_run.id, image) for image in mnist_run.images[:20]]
    for answer in answers:
        shown = np.array(answer["attribution"]["map"])
        assert shown.shape == np.array(answer["image"]).shape == (28, 28)
        assert np.abs(shown).max() == pytest.approx(1.0) and answer["attribution"]["method"] == "integrated_gradients"
        assert set(answer["attribution"]["passed"]) <= {"randomisation", "deletion"}
    # the trained model's maps pass the checks (the 200-image test: tests/explain/test_sanity.py)
    assert sum("deletion" in a["attribution"]["passed"] for a in answers) >= 16
    assert np.mean([a["attribution"]["spearman"] for a in answers]) < 0.5
    # the same map as the library's, from the image the answer says the model saw
    answer = answers[0]
    model = load_run(mnist_run.path).model
    x = np.array(answer["image"], np.float32)[None, :, :, None].reshape((1, *model.input_shape[1:]))
    expected = integrated_gradients(model, x, np.array([answer["label"]])).reshape(28, 28)
    np.testing.assert_allclose(np.array(answer["attribution"]["map"]), expected / np.abs(expected).max(), atol=2e-3)


def test_a_prediction_can_go_without_its_map(client: TestClient) -> None:
    answer = predict(client, "digits-8x8", np.eye(28), explain="false")
    assert answer["attribution"] is None and len(answer["probabilities"]) == 10
    mapped = predict(client, "digits-8x8", np.eye(28))["attribution"]
    assert np.array(mapped["map"]).shape == (8, 8)  # at the run's own image size


def test_the_map_is_documented_in_the_api(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"map", "passed", "spearman"} <= set(schemas["Attribution"]["properties"])


@pytest.mark.slow
def test_the_draw_page_lays_the_map_over_what_the_model_saw(browser: Any, server: str,  # noqa: F811
                                                            mnist_run: MnistRun, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server}/draw?run={mnist_run.id}")
    upload = tmp_path / "digit.png"
    upload.write_bytes(png(mnist_run.images[0]))
    browser.find_element(By.ID, "upload").send_keys(str(upload))
    passed = WebDriverWait(browser, WAIT_S).until(
        lambda driver: driver.find_element(By.ID, "why").get_attribute("data-passed"))
    browser.save_screenshot(str(tmp_path / "draw-why.png"))
    assert "Checks passed:" in browser.find_element(By.ID, "why").text and "deletion" in passed
    coloured = """const c = document.getElementById('seen'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let k = 0; k < d.length; k += 4) if (d[k] !== d[k + 1] || d[k + 1] !== d[k + 2]) n++; return n;"""
    assert browser.execute_script(coloured) > 10  # red and blue pixels over the grey image
    browser.find_element(By.ID, "overlay").click()  # off: the plain image the model saw
    assert browser.execute_script(coloured) == 0


def test_the_web_report_shows_the_saved_maps(tiny_run: Path, tmp_path: Path) -> None:
    import fitbench as fb
    from tests.conftest import copy_run

    folder = copy_run(tiny_run, tmp_path)
    fb.load_run(folder).save_explanations(steps=4)
    client = TestClient(create_app(folder.parent, cache_dir=tmp_path / "cache"), base_url=LOCAL)
    page = client.get(f"/report/{folder.name}").text
    section = page.split('<section id="attributions">', 1)[1].split("</section>", 1)[0]
    assert section.count('<img src="data:image/png;base64,') == 2 and "passed by" in section
