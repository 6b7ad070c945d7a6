"""Hostile and damaged run folders against the real server (``fitbench serve`` in a subprocess,
started from inside the runs directory) and, where the test must watch the process itself
(files opened, modules imported, connections tried), against the app in this process.

For every case: no 500, the damaged folder listed with one line naming the file, every other
folder still listed, nothing outside the runs directory read or imported, no file written by a GET.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import numpy as np
import pytest
from fastapi.testclient import TestClient

from fitbench.web import _reports, create_app
from tests.web.conftest import LOCAL, png
from tests.web import stall
from tests.web.hostile import HIDDEN, MARKER, SECRET, huge_png, hostile_runs, png_with_text_chunk, snapshot

ROOT = Path(__file__).resolve().parents[2]
ZEN = "Beautiful is better than ugly"


class Served(NamedTuple):
    base: Path
    runs: Path
    expected: dict[str, str]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Served:
    base = tmp_path_factory.mktemp("hostile")
    expected = hostile_runs(base)
    return Served(base, base / "runs", expected)


class Server(NamedTuple):
    port: int
    process: subprocess.Popen
    home: Path


@pytest.fixture(scope="module")
def server(hostile: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``python -m fitbench.cli serve`` run from inside the runs directory (so its modules are importable)."""
    home = tmp_path_factory.mktemp("home")  # Keras keeps downloads in ~/.keras/datasets
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "KERAS_BACKEND": "jax", "HOME": str(home),
           "KERAS_HOME": str(home / ".keras"), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "fitbench.cli", "serve", "--runs-dir", ".", "--port", "0"],
                               cwd=hostile.runs, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = process.stdout.readline()  # "fitbench: serving . on http://127.0.0.1:PORT/ ..."
    found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not found:
        process.kill()
        pytest.fail(f"the server did not start: {line}{process.stdout.read()}")
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout), daemon=True)
    reader.start()
    yield Server(int(found.group(1)), process, home)
    process.terminate()
    process.wait(timeout=30)
    reader.join(timeout=5)
    assert ZEN not in "".join(output), "the server imported `this`, a module a run folder named"


def request(server: Server, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, text


def upload(server: Server, run: str, data: bytes) -> tuple[int, dict]:
    boundary = "hostile-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    status, _, text = request(server, "POST", f"/api/predict?run={quote(run)}", body,
                              {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    return status, json.loads(text)


# --- the real server ------------------------------------------------------------------------

def test_every_damaged_folder_is_listed_with_its_reason_and_the_others_still_show(server: Server, hostile: Served):
    status, _, text = request(server, "GET", "/api/runs")
    assert status == 200
    listed = {run["id"]: run for run in json.loads(text)}
    assert set(listed) == set(hostile.expected), "every folder listed, links out and hidden ones not"
    for run_id, said in hostile.expected.items():
        run = listed[run_id]
        lines = [*(f"damaged: {p}" for p in run["problems"]), *([f"needs its code: {run['needs_code']}"]
                                                              if run["needs_code"] else [])]
        if said:
            assert any(said in line for line in lines), (run_id, lines)
        else:
            assert not lines, (run_id, lines)
    assert listed["fifo-lock"]["state"] == "incomplete"  # no process holds a real lock
    assert SECRET not in text


@pytest.mark.slow
def test_pages_answer_for_every_folder_without_a_500(server: Server, hostile: Served):
    before = snapshot(hostile.base)
    for path in ("/", "/draw", "/favicon.ico", "/openapi.json", "/static/style.css"):
        status, _, text = request(server, "GET", path)
        assert status == 200, path
        assert SECRET not in text and str(hostile.base) not in text
    page = request(server, "GET", "/")[2]
    for run_id, said in hostile.expected.items():
        assert f'data-id="{run_id}"' in page
        for path in (f"/api/runs/{run_id}", f"/report/{run_id}"):
            status, _, text = request(server, "GET", path)
            assert status in (200, 422), (path, status, text[:300])
            assert SECRET not in text and str(hostile.base) not in text, path
        status, answer = upload(server, run_id, png(np.eye(28)))
        assert status in (200, 422), (run_id, answer)
    for hidden in HIDDEN:
        assert request(server, "GET", f"/api/runs/{hidden}")[0] == 404
    assert snapshot(hostile.base) == before, "a GET or a prediction changed a file"
    assert not (hostile.base / MARKER).exists(), "the module planted in the runs directory ran"
    assert not (server.home / ".keras" / "datasets").exists(), "a download began"


def test_models_that_need_code_are_not_loaded(server: Server):
    for run_id in ("zen-factory", "planted-factory", "lambda-model"):
        status, answer = upload(server, run_id, png(np.eye(28)))
        assert status == 422 and "needs its code" in answer["detail"], answer
    status, answer = upload(server, "truncated-model", png(np.eye(28)))
    assert status == 422 and "model.keras is damaged" in answer["detail"]


@pytest.mark.slow
def test_a_good_run_reports_and_predicts_and_fashion_has_class_names(server: Server):
    status, _, text = request(server, "GET", "/report/good")
    assert status == 200 and '<a href="/">&larr; all runs</a>' in text
    status, answer = upload(server, "good", png(np.eye(28)))
    assert status == 200 and answer["class_names"] == [str(k) for k in range(10)]
    status, answer = upload(server, "fashion", png(np.eye(28)))
    assert status == 200 and answer["class_names"][:2] == ["T-shirt/top", "Trouser"]
    assert answer["name"] == answer["class_names"][answer["label"]]
    status, answer = upload(server, "logits-model", png(np.eye(28)))
    assert status == 200 and sum(answer["probabilities"]) == pytest.approx(1, abs=1e-4)
    assert min(answer["probabilities"]) >= 0


def test_bad_images_are_4xx(server: Server):
    status, answer = upload(server, "good", png_with_text_chunk())
    assert status == 415 and "damaged" in answer["detail"]
    status, answer = upload(server, "good", huge_png(4097, "L"))
    assert status == 413 and "4097x4097" in answer["detail"]
    status, answer = upload(server, "good", huge_png(4096))
    assert status == 200 and answer["label"] in range(10)


def test_host_allow_list_and_security_headers(server: Server):
    status, headers, text = request(server, "GET", "/api/runs", headers={"Host": "attacker.example"})
    assert status == 400 and "good" not in text
    assert headers["x-content-type-options"] == "nosniff"  # refusals carry the headers too
    for path in ("/", "/api/runs", "/report/good", "/static/draw.js", "/no-such-page"):
        _, headers, _ = request(server, "GET", path, headers={"Host": f"localhost:{server.port}"})
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in headers["content-security-policy"]
    assert request(server, "GET", "/docs")[0] == 404  # Swagger UI would load from a CDN


def test_a_post_from_another_site_is_refused(server: Server):
    status, _, text = request(server, "POST", "/api/predict?run=good", b"",
                              {"Origin": "http://attacker.example", "Content-Type": "multipart/form-data; boundary=x"})
    assert status == 403 and "another site" in text


# --- in this process: what the server opens, imports and connects to -------------------------

_WATCH: dict[str, list] = {}


def _audit(event: str, args: tuple) -> None:
    if "open" in _WATCH and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        _WATCH["open"].append(os.fsdecode(args[0]))
    elif "import" in _WATCH and event == "import":
        _WATCH["import"].append(args[0])
    elif "connect" in _WATCH and event == "socket.connect":
        _WATCH["connect"].append(args[1])


sys.addaudithook(_audit)  # cannot be removed: it records only while _WATCH has keys


@pytest.mark.slow
def test_nothing_outside_the_runs_dir_is_opened_imported_or_downloaded(hostile: Served, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch):
    import keras

    monkeypatch.setattr(keras.utils, "get_file", lambda *a, **k: pytest.fail("a view tried to download"))
    # Reports are drawn in processes of their own: they write what they open there to `watched`.
    watched = tmp_path / "watched.log"
    monkeypatch.setenv(stall.WATCH, str(watched))
    monkeypatch.setattr(_reports, "draw_report", stall.watched_report)
    monkeypatch.setattr(_reports, "draw_comparison", stall.watched_comparison)
    client = TestClient(create_app(hostile.runs, cache_dir=tmp_path / "cache"), base_url=LOCAL)
    _WATCH.update({"open": [], "import": [], "connect": []})
    try:
        for run_id in hostile.expected:
            client.get(f"/report/{run_id}")
            client.get(f"/api/runs/{run_id}")
            client.post("/api/predict", params={"run": run_id}, files={"file": ("x.png", png(np.eye(28)))})
        client.get("/compare", params={"run": ["good", "reads-passwd", "wants-mnist"]})
        client.get("/")
    finally:
        opened, imported, connected = _WATCH["open"], _WATCH["import"], _WATCH["connect"]
        _WATCH.clear()
    drawn = [line.split(" ", 1) for line in watched.read_text(encoding="utf-8").splitlines()]
    assert any(path.endswith("good/metrics.json") for kind, path in drawn if kind == "open")  # it watched
    for kind, seen in (("open", opened), ("import", imported), ("connect", connected)):
        seen += [value for event, value in drawn if event == kind]
    outside = str(hostile.base / "outside")
    assert not [path for path in opened if path.startswith(outside) or path == "/etc/passwd"]
    assert not {"this", "planted"} & set(imported) and not connected


def test_concurrent_predictions_on_one_run_all_succeed(hostile: Served, tmp_path: Path):
    from concurrent.futures import ThreadPoolExecutor

    client = TestClient(create_app(hostile.runs, cache_dir=tmp_path), base_url=LOCAL)
    drawings = [png(np.roll(np.eye(28), shift, axis=1)) for shift in range(8)]

    def ask(k: int) -> int:
        response = client.post("/api/predict", params={"run": "good"}, files={"file": ("x.png", drawings[k % 8])})
        return response.status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(ask, range(80)))
    assert statuses == [200] * 80


def test_the_draw_page_defaults_to_the_newest_run_that_reads_drawings(tmp_path: Path, digits):
    import fitbench as fb
    from tests.diagnosis.crafted import run_folder
    from tests.web.hostile import edit_config, mnist_folder

    runs = tmp_path / "runs"
    older = mnist_folder(runs, "older-mnist")
    factory = mnist_folder(runs, "newer-factory")
    edit_config(factory, model={"factory": "pkg:build"})
    small = run_folder(runs, "newest-digits", dataset={"name": "digits"})
    fb.build_model("small", digits).save(small / "model.keras")
    for age, folder in enumerate([older, factory, small]):
        os.utime(folder, (1_000_000 + age, 1_000_000 + age))
    page = TestClient(create_app(runs, cache_dir=tmp_path), base_url=LOCAL).get("/draw").text
    assert re.search(r"""<option value="older-mnist" data-classes='[^']*' selected>""", page)
    assert "[needs its code]" in page and "[8x8 images]" in page
