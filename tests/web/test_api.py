"""The JSON API and the pages, through FastAPI's test client: listing, reports, predictions on real
MNIST images, and every way a request can be wrong (each a 4xx with a reason, never a 500)."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from fitbench.web import create_app
from fitbench.web._limits import UPLOAD_LIMIT
from fitbench.web._catalog import Catalog
from fitbench.web._models import ModelCache
from tests.diagnosis.crafted import run_folder
from tests.web.conftest import LOCAL, MnistRun, png


@pytest.fixture(scope="module")
def client(served: Path, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return TestClient(create_app(served, cache_dir=tmp_path_factory.mktemp("cache")), base_url=LOCAL)


def predict(client: TestClient, run: str, data: bytes, name: str = "digit.png") -> tuple[int, dict]:
    response = client.post("/api/predict", params={"run": run}, files={"file": (name, data, "image/png")})
    return response.status_code, response.json()


def blank_canvas() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (280, 280), (255, 255, 255, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


# --- listing and pages ---------------------------------------------------------------------

def test_runs_are_listed_newest_first_with_ids_relative_to_the_runs_dir(client: TestClient, served: Path):
    for age, name in enumerate(["no-model", "digits-8x8", "damaged"]):  # no-model oldest, damaged newest
        os.utime(served / name, (1_000_000 + age, 1_000_000 + age))
    runs = {run["id"]: run for run in client.get("/api/runs").json()}
    assert {"digits-8x8", "no-model", "damaged", "study/trials/trial-1"} <= set(runs)
    order = [run_id for run_id in runs if run_id in ("no-model", "digits-8x8", "damaged")]
    assert order == ["damaged", "digits-8x8", "no-model"]
    assert runs["digits-8x8"]["state"] == "complete" and runs["digits-8x8"]["has_model"]
    assert not runs["digits-8x8"]["drawable"] and runs["digits-8x8"]["input_hint"] == "8x8"
    assert not runs["no-model"]["has_model"] and runs["no-model"]["val_accuracy"] == 0.918
    damaged = runs["damaged"]  # listed as such, with the reason
    assert damaged["state"] == "incomplete" and damaged["problems"][0].startswith("config.yaml is damaged (did not find expected")


def test_new_runs_appear_without_a_restart(client: TestClient, served: Path):
    before = {run["id"] for run in client.get("/api/runs").json()}
    run_folder(served, "arrived-later")
    try:
        after = {run["id"] for run in client.get("/api/runs").json()}
        assert after - before == {"arrived-later"}
        assert "arrived-later" in client.get("/").text
    finally:
        shutil.rmtree(served / "arrived-later")


def test_one_run_in_detail(client: TestClient):
    detail = client.get("/api/runs/study/trials/trial-1").json()
    assert detail["id"] == "study/trials/trial-1" and detail["state"] == "complete"
    assert detail["metrics"]["splits"]["val"]["accuracy"] == 0.918
    assert len(detail["history"]["val_loss"]) == 9 and detail["config"]["model"] == {"zoo": "small"}


def test_pages_render(client: TestClient):
    runs = client.get("/")
    assert runs.status_code == 200 and 'href="/report/study/trials/trial-1"' in runs.text
    assert 'name="run" value="damaged"' in runs.text and "damaged: " in runs.text
    draw = client.get("/draw")
    assert draw.status_code == 200 and '<canvas id="canvas"' in draw.text and 'id="upload"' in draw.text
    assert client.get("/static/draw.js").status_code == 200
    assert {"/api/runs", "/api/runs/{run_id}", "/api/predict"} <= set(client.get("/openapi.json").json()["paths"])


def test_an_empty_runs_dir_is_a_page_not_an_error(tmp_path: Path):
    empty = TestClient(create_app(tmp_path / "nothing-yet", cache_dir=tmp_path), base_url=LOCAL)
    assert empty.get("/api/runs").json() == []
    assert "does not exist yet" in empty.get("/").text and empty.get("/draw").status_code == 200


def test_a_diverged_run_reads_as_json(tmp_path: Path):
    nan = float("nan")
    run_folder(tmp_path / "runs", "diverged", history={"loss": [0.5, nan], "val_loss": [0.6, nan]})
    app = TestClient(create_app(tmp_path / "runs", cache_dir=tmp_path), base_url=LOCAL)
    assert app.get("/api/runs/diverged").json()["history"] == {"loss": [0.5, None], "val_loss": [0.6, None]}


def test_a_damaged_run_has_no_report_but_a_reason(client: TestClient):
    response = client.get("/report/damaged")
    assert response.status_code == 422 and "config.yaml is damaged" in response.text


def test_compare_needs_two_runs(client: TestClient):
    response = client.get("/compare", params={"run": "no-model"})
    assert response.status_code == 422 and "tick two or more runs" in response.text


# --- only run folders under the runs dir ---------------------------------------------------

@pytest.fixture(scope="module")
def outside(served: Path) -> Path:
    """A run folder beside the runs dir, and a symlink inside pointing to it."""
    target = run_folder(served.parent, "outside")
    (served / "link-out").symlink_to(target, target_is_directory=True)
    return target


@pytest.mark.parametrize("run_id", ["%2e%2e/outside", "study/%2e%2e/%2e%2e/outside", "link-out"])
def test_paths_out_of_the_runs_dir_are_404(client: TestClient, outside: Path, run_id: str):
    for url in (f"/api/runs/{run_id}", f"/report/{run_id}"):
        response = client.get(url)
        assert response.status_code == 404, url
    status, answer = predict(client, run_id.replace("%2e", "."), png(np.zeros((28, 28))))
    assert status == 404 and "no run" in answer["detail"]


def test_absolute_paths_are_404(client: TestClient, outside: Path):
    assert client.get(f"/api/runs/{outside}").status_code == 404  # //tmp/...: an absolute id
    status, answer = predict(client, str(outside), png(np.zeros((28, 28))))
    assert status == 404 and "relative to the runs directory" in answer["detail"]


def test_links_out_are_not_listed(client: TestClient, outside: Path):
    assert "link-out" not in {run["id"] for run in client.get("/api/runs").json()}


def test_unknown_run_is_404_json(client: TestClient):
    assert client.get("/api/runs/no-such-run").json() == {"detail": "no run 'no-such-run' under the runs directory"}
    status, _ = predict(client, "no-such-run", png(np.zeros((28, 28))))
    assert status == 404


# --- bad uploads ---------------------------------------------------------------------------

def test_not_an_image_is_415(client: TestClient):
    status, answer = predict(client, "digits-8x8", b"%PDF-1.4 not a picture", "notes.pdf")
    assert status == 415 and "not a PNG or JPEG" in answer["detail"]


def test_a_truncated_image_is_415(client: TestClient):
    data = png(np.random.default_rng(0).uniform(size=(100, 100)))  # noise: barely compresses
    status, answer = predict(client, "digits-8x8", data[: len(data) // 2])
    assert status == 415 and "damaged" in answer["detail"]


def test_too_big_is_413(client: TestClient):
    status, answer = predict(client, "digits-8x8", b"\x89PNG" + bytes(UPLOAD_LIMIT))
    assert status == 413 and "at most 2 MB" in answer["detail"]


def test_a_lying_content_length_cannot_pass_the_limit(client: TestClient):
    # httpx sends this body in chunks without a length: the limit counts what arrives.
    chunks = (b"x" * 65536 for _ in range(UPLOAD_LIMIT // 65536 + 2))
    response = client.post("/api/predict?run=digits-8x8", content=chunks,
                           headers={"content-type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413


def test_empty_canvas_is_nothing_drawn(client: TestClient):
    status, answer = predict(client, "digits-8x8", blank_canvas())
    assert status == 422 and answer["detail"].startswith("nothing drawn")


def test_missing_file_is_422(client: TestClient):
    assert client.post("/api/predict", params={"run": "digits-8x8"}).status_code == 422


def test_a_digits_run_reads_drawings_at_its_own_size(client: TestClient):
    # Prepared as `fitbench predict` prepares a file for it: the whole image, resized to 8x8.
    status, answer = predict(client, "digits-8x8", png(np.eye(28)))
    assert status == 200, answer
    assert np.asarray(answer["image"]).shape == (8, 8) and len(answer["probabilities"]) == 10


def test_a_run_without_a_model_says_so(client: TestClient):
    status, answer = predict(client, "no-model", png(np.eye(28)))
    assert status == 422 and "has no model.keras" in answer["detail"]


# --- the model cache ------------------------------------------------------------------------

def test_model_cache_is_bounded_and_reloads_a_retrained_run(served: Path, tmp_path: Path):
    catalog = Catalog(tmp_path)
    copies = []
    for k in range(3):
        copy = tmp_path / f"copy-{k}"
        shutil.copytree(served / "digits-8x8", copy)
        copies.append(copy)
    cache = ModelCache(size=2)

    def get(path: Path):
        return asyncio.run(cache.get(path, *catalog.entry(path)))

    first = get(copies[0])
    assert get(copies[0]) is first  # loaded once
    get(copies[1])
    get(copies[2])
    assert len(cache) == 2 and get(copies[0]) is not first  # evicted, least recently used
    stamp = (copies[0] / "model.keras").stat().st_mtime_ns + 10**9
    os.utime(copies[0] / "model.keras", ns=(stamp, stamp))  # "retrained"
    assert get(copies[0]) is not get(copies[2]) and len(cache) == 2


# --- a real model on real MNIST -------------------------------------------------------------

@pytest.mark.slow
def test_predictions_on_200_unseen_mnist_images(client: TestClient, mnist_run: MnistRun):
    right = 0
    for image, label in zip(mnist_run.images[:200], mnist_run.labels[:200], strict=True):
        status, answer = predict(client, mnist_run.id, png(image))
        assert status == 200, answer
        right += answer["label"] == label
    assert right >= 190, f"{right} of 200 right"
    assert len(answer["probabilities"]) == 10 and sum(answer["probabilities"]) == pytest.approx(1, abs=1e-4)
    assert np.array(answer["image"]).shape == (28, 28) and answer["scale"] == 1.0


def test_dark_ink_on_light_paper_reads_the_same(client: TestClient, mnist_run: MnistRun):
    image = mnist_run.images[0]
    big = Image.fromarray(255 - (image * 255).round().astype(np.uint8)).resize((280, 280)).convert("RGB")
    buffer = io.BytesIO()
    big.save(buffer, format="JPEG", quality=90)
    _, plain = predict(client, mnist_run.id, png(image))
    status, photo = predict(client, mnist_run.id, buffer.getvalue(), "photo.jpg")
    assert status == 200 and photo["label"] == plain["label"] == mnist_run.labels[0]


def test_a_run_trained_on_raw_pixels_gets_0_255(client: TestClient, mnist_run: MnistRun, served: Path):
    raw = served / "raw-pixels"
    shutil.copytree(mnist_run.path, raw)
    config = (raw / "config.yaml").read_text().replace("normalize: true", "normalize: false")
    (raw / "config.yaml").write_text(config)
    (raw / "preparation.json").unlink()  # a folder from before the record: its config decides
    try:
        status, answer = predict(client, "raw-pixels", png(mnist_run.images[0]))
        assert status == 200 and answer["scale"] == 255.0
    finally:
        shutil.rmtree(raw)


def test_report_page_is_made_once_and_cached_and_writes_nothing(client: TestClient, mnist_run: MnistRun,
                                                                 monkeypatch: pytest.MonkeyPatch):
    before = sorted((p.name, p.stat().st_mtime_ns) for p in mnist_run.path.iterdir())
    folder_mtime = mnist_run.path.stat().st_mtime_ns
    first = client.get(f"/report/{mnist_run.id}")
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/html")
    assert '<section id="scores">' in first.text and "first-mnist" in first.text
    assert '<a href="/">&larr; all runs</a>' in first.text and str(mnist_run.path) not in first.text
    import fitbench.report

    monkeypatch.setattr(fitbench.report, "write_report", None)  # a second drawing would fail
    again = client.get(f"/report/{mnist_run.id}")
    assert again.text == first.text
    assert sorted((p.name, p.stat().st_mtime_ns) for p in mnist_run.path.iterdir()) == before  # no figures/
    assert mnist_run.path.stat().st_mtime_ns == folder_mtime


def test_compare_page(client: TestClient, mnist_run: MnistRun):
    response = client.get("/compare", params={"run": [mnist_run.id, "study/trials/trial-1"]})
    assert response.status_code == 200 and "first-mnist" in response.text and "trial-1" in response.text


def test_the_listing_cache_sees_a_changed_file(tmp_path: Path):
    import json

    folder = run_folder(tmp_path / "runs", "changing")
    app = TestClient(create_app(tmp_path / "runs", cache_dir=tmp_path), base_url=LOCAL)
    assert app.get("/api/runs").json()[0]["val_accuracy"] == 0.918
    metrics = json.loads((folder / "metrics.json").read_text())
    metrics["splits"]["val"]["accuracy"] = 0.5
    (folder / "metrics.json").write_text(json.dumps(metrics) + " " * 10)  # in place: only the file's stamp changes
    assert app.get("/api/runs").json()[0]["val_accuracy"] == 0.5
    (folder / "history.csv").write_text("epoch,loss\n1,0.5\n")  # damaged now: no time_s column
    assert app.get("/api/runs").json()[0]["problems"][0] == "history.csv has no time_s column"
    assert "history.csv has no time_s column" in app.get("/").text
