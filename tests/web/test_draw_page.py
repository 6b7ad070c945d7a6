"""The draw page speaks the chosen run's classes: "Draw a digit" only for a run whose classes
are digits (these crafted folders record two classes: "0" and "1", or T-shirt/top and Trouser)."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import fitbench as fb
from fitbench.data._registry import DATASETS
from fitbench.web import _models, create_app
from tests.diagnosis.crafted import run_folder
from tests.web.conftest import LOCAL


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("draw") / "runs"
    model = fb.build_model("small", input_shape=(28, 28), num_classes=10)
    for name, dataset in (("digits-run", "mnist"), ("clothes-run", "fashion_mnist")):
        model.save(run_folder(root, name, dataset={"name": dataset}) / "model.keras")
    client = TestClient(create_app(root, cache_dir=root.parent / "cache"), base_url=LOCAL)
    return lambda run: client.get("/draw", params={"run": run}).text


def test_a_fashion_run_asks_for_its_classes(page) -> None:
    html = page("clothes-run")
    names = DATASETS["fashion_mnist"].class_names[:2]  # the crafted folder's metrics say two classes
    assert "Draw a digit" not in html and "Draw one of its classes" in html
    assert f"This model knows: {', '.join(names)}" in html.replace("&#39;", "'")
    option = re.search(r"""<option value="clothes-run" data-classes='([^']*)' selected>""", html)
    assert option and json.loads(option.group(1)) == list(names)  # the script reads them when the choice changes


def test_a_digit_run_asks_for_a_digit(page) -> None:
    html = page("digits-run")
    assert '<h1 id="heading">Draw a digit</h1>' in html and "Draw one digit" in html


def test_opening_a_draw_page_loads_its_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "runs"
    path = run_folder(root, "one", dataset={"name": "mnist"})
    fb.build_model("small", input_shape=(28, 28), num_classes=10).save(path / "model.keras")
    started = threading.Event()
    load = _models.load
    monkeypatch.setattr(_models, "load", lambda *args: started.set() or load(*args))
    app = create_app(root, cache_dir=tmp_path / "cache")
    client = TestClient(app, base_url=LOCAL)
    assert client.get("/draw", params={"run": "one"}).status_code == 200  # the test client runs its background task
    assert started.wait(timeout=60)  # the page started loading the model, before any drawing arrived
    # The page's load (the same one: a second warm joins it rather than loading again) ends loaded.
    version, info = app.state.catalog.entry(path.resolve())
    app.state.models.warm(path.resolve(), version, info).result(timeout=300)
    assert len(app.state.models) == 1
