"""Slow or hostile work never holds up the server (issue 24): drawings in child processes with a
time limit, model loads on threads of their own, failures kept like pages, every answer with the
security headers, and connections that send their request slowly (or never) closed.

Drawings stall on cue (``tests.web.stall``, in place of the real drawing); the real server is
uvicorn on 127.0.0.1 with a free port, in a thread, or ``fitbench serve`` in a subprocess.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from fitbench.cli._serve import bind
from fitbench.web import _app, _models, _reports, create_app, server_config
from fitbench.web._catalog import Catalog
from fitbench.web._isolation import Busy, Limits, Outcomes
from tests.diagnosis.crafted import run_folder
from tests.web import stall
from tests.web.conftest import LOCAL, png
from tests.web.hostile import mnist_folder

ROOT = Path(__file__).resolve().parents[2]
QUICK_S = 5.0  # what "answers at once" means on a loaded 2-core CI machine (they take milliseconds)


def until(condition: Callable[[], object], timeout: float = 60.0) -> bool:
    """Whether ``condition()`` became true within ``timeout`` seconds (bounded polling)."""
    deadline, pause = time.monotonic() + timeout, threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            return False
        pause.wait(0.02)
    return True


@contextlib.contextmanager
def live(app, **guard) -> Iterator[int]:
    """``app`` served by uvicorn as ``fitbench serve`` serves it, on a free loopback port."""
    import uvicorn

    listener = bind("127.0.0.1", 0)
    server = uvicorn.Server(server_config(app, **guard))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        assert until(lambda: server.started, 60), "uvicorn did not start"
        yield listener.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(60)
        listener.close()


def get(port: int, path: str) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        connection.close()


def guarded(headers) -> bool:
    return (headers.get("x-content-type-options") == "nosniff" and headers.get("x-frame-options") == "DENY"
            and "frame-ancestors 'none'" in headers.get("content-security-policy", ""))


@pytest.fixture
def stalling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A runs directory under ``tmp_path`` whose reports are drawn by ``stall.report``."""
    os.mkfifo(tmp_path / stall.RELEASE)
    monkeypatch.setattr(_reports, "draw_report", stall.report)
    return tmp_path / "runs"


# --- drawings ---------------------------------------------------------------------------------

def test_45_requests_for_a_stalled_report_hold_up_nothing_else(stalling: Path, tmp_path: Path):
    for name in ("quick", "stuck", "stuck-2", "stuck-3"):
        run_folder(stalling, name)
    app = create_app(stalling, cache_dir=tmp_path / "cache", limits=Limits(drawers=2, draw_s=120))
    with live(app) as port, ThreadPoolExecutor(48) as pool:
        try:
            assert get(port, "/report/quick")[0] == 200
            stuck = [pool.submit(get, port, "/report/stuck") for _ in range(45)]
            assert until(lambda: "stuck" in stall.drawn(tmp_path))
            for path in ("/api/runs", "/static/style.css", "/report/quick", "/", "/api/runs/quick", "/draw"):
                started = time.perf_counter()
                status, headers, _ = get(port, path)
                assert status == 200 and guarded(headers) and time.perf_counter() - started < QUICK_S, path
            other = pool.submit(get, port, "/report/stuck-2")
            assert until(lambda: "stuck-2" in stall.drawn(tmp_path))
            started = time.perf_counter()
            status, headers, text = get(port, "/report/stuck-3")  # both drawers busy: refused at once, not queued
            assert status == 503 and "drawing 2 other reports" in text and guarded(headers)
            assert headers["retry-after"] == "30"
            assert time.perf_counter() - started < QUICK_S and not any(request.done() for request in stuck)
        finally:
            assert until(lambda: stall.release(tmp_path) or all(request.done() for request in stuck))
        assert [request.result()[0] for request in stuck] == [200] * 45
        assert until(lambda: stall.release(tmp_path) or other.done()) and other.result()[0] == 200
    assert stall.drawn(tmp_path).count("stuck") == 1  # 45 requests, one drawing


def test_a_drawing_past_its_limit_is_stopped_and_failures_are_kept_like_pages(stalling: Path, tmp_path: Path):
    stuck = run_folder(stalling, "stuck")
    run_folder(stalling, "problem")
    run_folder(stalling, "bug")
    app = create_app(stalling, cache_dir=tmp_path / "cache", limits=Limits(draw_s=0.5))
    client = TestClient(app, base_url=LOCAL, raise_server_exceptions=False)
    for _ in range(3):
        answer = client.get("/report/stuck")
        assert answer.status_code == 504 and "took over 0.5 s and was stopped" in answer.text
        assert guarded(answer.headers)
        answer = client.get("/report/problem")
        assert answer.status_code == 422 and "problem cannot be drawn" in answer.text and guarded(answer.headers)
        answer = client.get("/report/bug")
        assert answer.status_code == 500 and "KeyError" in answer.text and guarded(answer.headers)
        assert "Traceback" not in answer.text
    assert sorted(stall.drawn(tmp_path)) == ["bug", "problem", "stuck"]  # each drawn once: failures kept
    with pytest.raises(OSError):  # ENXIO: nobody reads the FIFO, the stalled drawing was killed
        os.open(tmp_path / stall.RELEASE, os.O_WRONLY | os.O_NONBLOCK)
    later = (stuck / "metrics.json").stat().st_mtime_ns + 10**9
    os.utime(stuck / "metrics.json", ns=(later, later))  # the folder changed: drawn again
    assert client.get("/report/stuck").status_code == 504 and stall.drawn(tmp_path).count("stuck") == 2


@pytest.mark.slow  # waits out uvicorn's 5 s grace period by design
def test_stopping_the_server_kills_the_drawings_under_way(stalling: Path, tmp_path: Path):
    run_folder(stalling, "stuck")
    app = create_app(stalling, cache_dir=tmp_path / "cache", limits=Limits(draw_s=600))
    with ThreadPoolExecutor(1) as pool:
        with live(app) as port:
            request = pool.submit(get, port, "/report/stuck")
            assert until(lambda: "stuck" in stall.drawn(tmp_path))
            stopping = time.perf_counter()
        assert time.perf_counter() - stopping < 30  # the grace period, not the drawing's 600 s
        with pytest.raises(OSError):  # ENXIO: nobody reads the FIFO, the drawing was killed
            os.open(tmp_path / stall.RELEASE, os.O_WRONLY | os.O_NONBLOCK)
        with contextlib.suppress(OSError):
            request.result(timeout=60)  # cut off by the stop


def test_a_drawing_that_runs_out_of_memory_is_one_line(tmp_path: Path):
    run_folder(tmp_path / "runs", "big")
    # 256 MB of address space: the drawing process cannot even import what it draws with.
    app = create_app(tmp_path / "runs", cache_dir=tmp_path / "cache", limits=Limits(draw_memory=256 * 1024**2))
    answer = TestClient(app, base_url=LOCAL, raise_server_exceptions=False).get("/report/big")
    assert answer.status_code == 500 and guarded(answer.headers)
    # Where the memory runs out decides the line: an import, an allocation, or the start itself.
    assert re.search(r"the report of big(: the drawing process did not start| failed: \w*Error| ran out of its)",
                     answer.text) and "Traceback" not in answer.text


# --- every answer carries the security headers --------------------------------------------------

def test_an_unexpected_error_is_a_one_line_500_with_the_security_headers(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch):
    def bug(*args, **kwargs):
        raise KeyError("/home/someone/secret path")

    run_folder(tmp_path / "runs", "quick")
    client = TestClient(create_app(tmp_path / "runs", cache_dir=tmp_path), base_url=LOCAL,
                        raise_server_exceptions=False)
    monkeypatch.setattr(_app, "run_detail", bug)
    answer = client.get("/api/runs/quick")
    assert answer.status_code == 500 and guarded(answer.headers)
    detail = "internal error (KeyError) answering /api/runs/quick; the server's log says more"
    assert answer.json() == {"detail": detail}  # the type only: an error's text could quote a file
    monkeypatch.setattr(Catalog, "runs", bug)
    answer = client.get("/")
    assert answer.status_code == 500 and guarded(answer.headers) and "internal error (KeyError)" in answer.text


# --- models -------------------------------------------------------------------------------------

def predict(client: TestClient, run: str) -> tuple[int, dict]:
    answer = client.post("/api/predict", params={"run": run}, files={"file": ("x.png", png(np.eye(28)))})
    return answer.status_code, answer.json()


@pytest.mark.slow  # loads two real models (Keras import, compile): ~15 s on a busy 2-core machine
def test_a_model_loading_slowly_holds_up_no_other_prediction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    runs = tmp_path / "runs"
    mnist_folder(runs, "good")
    mnist_folder(runs, "stuck")
    real, go_on, loads = _models._load_run, threading.Event(), []

    def load_run(path: Path, info):
        loads.append(path.name)
        if path.name == "stuck":
            assert go_on.wait(120)
        return real(path, info)

    monkeypatch.setattr(_models, "_load_run", load_run)
    client = TestClient(create_app(runs, cache_dir=tmp_path, limits=Limits(load_s=0.5)), base_url=LOCAL)
    try:
        status, answer = predict(client, "stuck")
        assert status == 504 and answer["detail"] == "stuck's model is still loading after 0.5 s; try again in a moment"
        assert predict(client, "good")[0] == 200  # the stuck load holds no lock
        assert predict(client, "stuck")[0] == 504  # joins the load under way
    finally:
        go_on.set()
    assert until(lambda: predict(client, "stuck")[0] == 200)  # the load went on, and is kept
    assert sorted(loads) == ["good", "stuck"]


def test_loads_past_the_loaders_are_refused_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    runs = tmp_path / "runs"
    mnist_folder(runs, "good")
    mnist_folder(runs, "stuck")
    go_on = threading.Event()
    monkeypatch.setattr(_models, "_load_run", lambda path, info: go_on.wait(120))
    client = TestClient(create_app(runs, cache_dir=tmp_path, limits=Limits(loaders=1, load_s=0.2)), base_url=LOCAL)
    try:
        assert predict(client, "stuck")[0] == 504
        status, answer = predict(client, "good")
        assert status == 503 and answer["detail"] == "the server is loading 1 other models; try again in a moment"
    finally:
        go_on.set()


_SWAP: dict[str, Path] = {}


def _swap_on_open(event: str, args: tuple) -> None:
    """The race: the moment the server opens ``_SWAP['model']``, it becomes a link to a FIFO."""
    if _SWAP and event == "open" and isinstance(args[0], (str, os.PathLike)):
        model = _SWAP.get("model")
        if model is not None and os.path.realpath(args[0]) == str(model):
            del _SWAP["model"]
            link = model.with_name("swap.tmp")
            os.symlink(_SWAP["fifo"], link)
            os.replace(link, model)


sys.addaudithook(_swap_on_open)  # cannot be removed: it acts only while _SWAP holds a model


def test_a_model_swapped_for_a_link_to_a_fifo_is_refused_and_blocks_nothing(tmp_path: Path):
    runs = tmp_path / "runs"
    mnist_folder(runs, "good")
    racy = mnist_folder(runs, "racy")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    client = TestClient(create_app(runs, cache_dir=tmp_path / "cache"), base_url=LOCAL)
    assert client.get("/api/runs").status_code == 200  # listed: each archive read once, before the race
    _SWAP.update(model=Path(os.path.realpath(racy / "model.keras")), fifo=fifo)
    with ThreadPoolExecutor(2) as pool:
        racing = pool.submit(predict, client, "racy")
        try:
            status, answer = racing.result(timeout=120)
            assert status == 422 and "model.keras is a symbolic link (not followed)" in answer["detail"]
            assert pool.submit(predict, client, "good").result(timeout=120)[0] == 200
        finally:
            _SWAP.clear()
            with contextlib.suppress(OSError):  # a reader stuck on the FIFO (the old server) gets its end
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


# --- the kept outcomes: bounded, a kept key never made again -------------------------------------

@settings(max_examples=60, deadline=None)
@given(asks=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2)), max_size=30), size=st.integers(1, 4))
def test_outcomes_keep_at_most_size_and_make_a_kept_key_never_again(asks, size):
    outcomes = Outcomes(size, workers=1, busy="busy", family=lambda key: key[0])
    made: list[tuple[int, int]] = []
    model: OrderedDict[tuple[int, int], None] = OrderedDict()  # what should be kept, oldest first
    expected: list[tuple[int, int]] = []

    def job(key: tuple[int, int]) -> tuple[int, int]:
        made.append(key)
        if key[1] == 2:
            raise ValueError(key)  # a failure is kept like a success
        return key

    for key in asks:
        future = outcomes.start(key, lambda key=key: job(key))
        assert (future.exception(timeout=10) is not None) == (key[1] == 2)
        if key in model:
            model.move_to_end(key)
        else:
            expected.append(key)
            for old in [kept for kept in model if kept[0] == key[0]]:  # a family's new version replaces the old
                del model[old]
            model[key] = None
            while len(model) > size:
                model.popitem(last=False)
        assert len(outcomes) == len(model) <= size
    assert made == expected


def test_outcomes_refuse_a_new_job_while_every_worker_is_busy():
    outcomes: Outcomes[int] = Outcomes(4, workers=1, busy="busy: try later")
    go_on = threading.Event()
    first = outcomes.start("a", lambda: int(go_on.wait(60)))
    assert outcomes.start("a", lambda: 2) is first  # the same key joins the job under way
    with pytest.raises(Busy, match="busy: try later"):
        outcomes.start("b", lambda: 3)
    go_on.set()
    assert first.result(timeout=60) == 1 and outcomes.start("b", lambda: 3).result(timeout=60) == 3


# --- connections --------------------------------------------------------------------------------

def closed_by_server(connection: socket.socket) -> bool:
    """Whether the server closed ``connection``: a read finds its end (past any answer), or a reset."""
    connection.setblocking(False)
    try:
        while connection.recv(65536):
            pass
    except BlockingIOError:
        return False
    except ConnectionResetError:
        pass
    return True


def test_silent_slow_and_half_sent_requests_are_closed(tmp_path: Path):
    run_folder(tmp_path / "runs", "quick")
    app = create_app(tmp_path / "runs", cache_dir=tmp_path / "cache")
    with live(app, head_s=0.5, body_s=0.5) as port:
        silent = socket.create_connection(("127.0.0.1", port))
        trickle = socket.create_connection(("127.0.0.1", port))
        trickle.sendall(b"GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the head never ends
        body = socket.create_connection(("127.0.0.1", port))
        body.sendall(b"POST /api/predict?run=quick HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n"
                     b"Content-Type: multipart/form-data; boundary=x\r\n\r\n--x\r\n")  # 1,000 bytes promised
        kept = socket.create_connection(("127.0.0.1", port))  # a kept-alive connection, then silent
        kept.sendall(b"GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert kept.recv(100).startswith(b"HTTP/1.1 200")
        for connection in (silent, trickle, body, kept):
            assert until(lambda connection=connection: closed_by_server(connection), 30)
            connection.close()
        assert get(port, "/api/runs")[0] == 200


def test_a_malformed_or_oversized_head_is_a_400_with_the_security_headers(tmp_path: Path):
    app = create_app(tmp_path / "runs", cache_dir=tmp_path / "cache")
    with live(app) as port:
        for head in (b"NOT HTTP AT ALL\r\n\r\n", b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n"):
            with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
                connection.sendall(head)
                answer = b""
                while chunk := connection.recv(65536):
                    answer += chunk
            status, _, rest = answer.partition(b"\r\n")
            assert status == b"HTTP/1.1 400 Bad Request" and b"x-content-type-options: nosniff" in rest.lower()


def test_connections_waiting_for_a_head_are_capped_the_oldest_closed(tmp_path: Path):
    run_folder(tmp_path / "runs", "quick")
    app = create_app(tmp_path / "runs", cache_dir=tmp_path / "cache")
    with live(app, head_s=600, waiting=8) as port:
        connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        try:
            assert until(lambda: sum(closed_by_server(c) for c in connections[:32]) == 32, 30)
            assert not any(closed_by_server(c) for c in connections[32:])  # the 8 newest wait on
            status, headers, _ = get(port, "/api/runs")  # a real request gets through
            assert status == 200 and guarded(headers)
        finally:
            for connection in connections:
                connection.close()


def test_fitbench_serve_closes_connections_past_the_cap(tmp_path: Path):
    run_folder(tmp_path / "runs", "quick")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "fitbench.cli", "serve", "--runs-dir", str(tmp_path / "runs"),
                                "--port", "0"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = process.stdout.readline()
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", line).group(1))
        connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(80)]
        # 64 may wait for their request head: the 16 oldest are closed at once, not after 10 s.
        assert until(lambda: sum(closed_by_server(c) for c in connections[:16]) == 16, 5)
        status, headers, text = get(port, "/api/runs")
        assert status == 200 and guarded(headers) and json.loads(text)[0]["id"] == "quick"
        for connection in connections:
            connection.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
