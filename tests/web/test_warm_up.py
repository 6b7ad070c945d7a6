"""The draw page's warm-up: ``GET /api/model`` says how far it got, and once it says ready the
first prediction compiles nothing more (a logits model's softmax is compiled while loading)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from fitbench._keras import keras
from fitbench.web import _models, create_app
from tests.diagnosis.crafted import run_folder
from tests.web.conftest import LOCAL


def logits_model() -> keras.Model:
    """A model whose last layer is linear: its outputs go through a softmax when it predicts."""
    return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)])


@pytest.fixture
def served(tmp_path: Path) -> tuple[TestClient, Path]:
    root = tmp_path / "runs"
    path = run_folder(root, "one", dataset={"name": "mnist"})
    logits_model().save(path / "model.keras")
    app = create_app(root, cache_dir=tmp_path / "cache")
    return TestClient(app, base_url=LOCAL), path.resolve()


def test_the_model_state_follows_the_draw_pages_warm_up(served: tuple[TestClient, Path]) -> None:
    client, path = served
    assert client.get("/api/model", params={"run": "one"}).json() == {"run": "one", "state": "not loaded"}
    assert client.get("/draw", params={"run": "one"}).status_code == 200  # its background task starts the load
    models, (version, info) = client.app.state.models, client.app.state.catalog.entry(path)
    assert client.get("/api/model", params={"run": "one"}).json()["state"] in ("loading", "ready")
    models.warm(path, version, info).result(timeout=300)  # the page's load, joined
    assert client.get("/api/model", params={"run": "one"}).json() == {"run": "one", "state": "ready"}
    assert client.get("/api/model", params={"run": "nothere"}).status_code == 404


def test_a_logits_models_softmax_is_compiled_by_the_warm_up(served: tuple[TestClient, Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    client, path = served
    calls: list[tuple[int, ...]] = []
    softmax = _models._softmax
    monkeypatch.setattr(_models, "_softmax", lambda outputs: calls.append(outputs.shape) or softmax(outputs))
    models, (version, info) = client.app.state.models, client.app.state.catalog.entry(path)
    loaded = models.warm(path, version, info).result(timeout=300)
    assert loaded.logits and calls == [(1, 10)]  # once, at load, on the shape a prediction gives it
    probabilities = _models.predict(loaded, np.full((28, 28), 0.5, np.float32))
    assert abs(probabilities.sum() - 1) < 1e-5 and calls == [(1, 10), (1, 10)]
