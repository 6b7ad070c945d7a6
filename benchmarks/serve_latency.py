"""``fitbench serve`` under load: a real server process on 127.0.0.1, measured from outside.

1. One client, 200 predictions of what the draw page sends (a 280x280 PNG), kept-alive
   connection: median and p95 round trip and server time. Target: p95 under 50 ms.
2. 8 concurrent clients, 1,000 mixed requests (listing, pages, run details, reports, static
   files and 300 predictions on one run): errors (target 0), p95 per kind, peak server memory.
3. 16 concurrent 4096x4096 RGBA PNG uploads: peak server memory (target under 1 GB).
4. Listing 500 run folders: first listing and cached ones (target under 200 ms).
5. In-process: 8 threads predicting through one model's jitted function, with and without a lock.
6. Isolation: 45 concurrent requests for the report of the heaviest folder the reader accepts
   (62 classes, the most the page draws; a 200-layer architecture whose every layer takes all
   earlier ones as inputs; predictions), then 45 for 45 copies of it, while `/api/runs` is asked
   every 50 ms: its p95 (target under 200 ms) against the same server idle.

Peak memory is the server's VmHWM from /proc (reset between phases through clear_refs).

    python benchmarks/serve_latency.py                  # trains a quick `first` run first
    python benchmarks/serve_latency.py --run runs/<run>  # an existing 28x28 run
    python benchmarks/serve_latency.py --case isolation  # phase 6 only
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "mnist"
TARGET_MS, LISTING_MS, MEMORY_MB = 50.0, 200.0, 1024.0
CLIENTS, MIXED, PREDICTIONS, FOLDERS, UPLOADS = 8, 1000, 300, 500, 16
HEAVY_REQUESTS, HEAVY_CLASSES, HEAVY_LAYERS = 45, 62, 200  # the 45 GETs; the page draws at most 62 classes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="a run folder with a 28x28 model (default: train one)")
    parser.add_argument("--case", choices=["all", "isolation"], default="all", help="every phase, or phase 6 only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        runs = Path(scratch) / "runs"
        if args.run:
            shutil.copytree(args.run, runs / args.run.name)
            run = runs / args.run.name
        else:
            run = quick_run(runs)
        if args.case == "isolation":
            with Server(runs) as server:
                isolation(server, run)
            return
        with Server(runs) as server:
            single_client(server, run.name, canvas_png())
            mixed_load(server, run.name, canvas_png())
            big_uploads(server, run.name)
            listing(server, run)
        isolated = Path(scratch) / "isolated"  # a runs directory of its own: the 500 copies above stay out
        shutil.copytree(run, isolated / run.name)
        with Server(isolated) as server:
            isolation(server, isolated / run.name)
        threads_on_one_model(run)


def quick_run(runs_dir: Path) -> Path:
    """The course's `first` model, 3 epochs on 6,000 of the shared MNIST images (a few seconds)."""
    import fitbench as fb

    data = fb.load_dataset("idx", images=SHARED / "t10k-images-idx3-ubyte.gz",
                           labels=SHARED / "t10k-labels-idx1-ubyte.gz",
                           train_size=6000, val_size=1000, test_size=1000)
    return fb.fit(fb.build_model("first", data), data, epochs=3, batch_size=32, runs_dir=runs_dir, verbose=False).path


def canvas_png() -> bytes:
    """A digit as the draw page uploads it: 280x280, black ink on white, PNG."""
    from PIL import Image

    from fitbench.data._idx import read_idx

    images = read_idx(SHARED / "t10k-images-idx3-ubyte.gz", kind="images")  # (10000, 28, 28), white on black
    buffer = io.BytesIO()
    Image.fromarray(255 - images[0].astype(np.uint8)).resize((280, 280), Image.Resampling.BILINEAR).convert(
        "RGBA").save(buffer, "PNG")
    return buffer.getvalue()


def huge_png(side: int = 4096) -> bytes:
    """A legal side x side RGBA PNG (a stroke on white): ~90 kB that decode to 64 MB."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (side, side), "white")
    ImageDraw.Draw(image).line([(side // 2, side // 5), (side // 2, 4 * side // 5)], fill="black", width=side // 20)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class Server:
    """``fitbench serve --port 0`` in its own process; its memory is read from /proc."""

    def __init__(self, runs: Path) -> None:
        self.runs = runs

    def __enter__(self) -> Server:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([sys.executable, "-m", "fitbench.cli", "serve", "--runs-dir", str(self.runs),
                                         "--port", "0"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True)
        line = self.process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not found:
            self.process.kill()
            raise SystemExit(f"the server did not start: {line}{self.process.stdout.read()}")
        self.port = int(found.group(1))
        threading.Thread(target=lambda: [print("server:", text, end="") for text in self.process.stdout],
                         daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def memory_mb(self, field: str = "VmHWM") -> float:
        """Peak (VmHWM) or current (VmRSS) resident memory of the server process."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) / 1024

    def reset_peak(self) -> None:
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")  # VmHWM := current RSS

    def connect(self) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        connection.connect()
        # As browsers do: without TCP_NODELAY, Nagle and delayed ACKs add ~40 ms per request.
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection


def multipart(png: bytes) -> tuple[bytes, dict[str, str]]:
    boundary = "fitbench-benchmark"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"drawing.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + png + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def send(connection: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, float, bytes]:
    started = time.perf_counter()
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    return response.status, (time.perf_counter() - started) * 1000, data


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def single_client(server: Server, run_id: str, png: bytes, count: int = 200) -> None:
    connection = server.connect()
    body, headers = multipart(png)
    path = f"/api/predict?run={run_id}"
    status, cold, data = send(connection, "POST", path, body, headers)  # loads the model, compiles its forward pass
    if status != 200:
        raise SystemExit(f"predict failed ({status}): {data[:300]!r}")
    rounds, server_ms = [], []
    for _ in range(count):
        status, elapsed, data = send(connection, "POST", path, body, headers)
        rounds.append(elapsed)
        server_ms.append(json.loads(data)["elapsed_ms"])
    print(f"1. one client: {len(png):,}-byte PNG 280x280, label {json.loads(data)['label']}; first (cold) {cold:.0f} ms")
    for name, values in (("round trip", rounds), ("server time", server_ms)):
        print(f"   {name:12s} median {statistics.median(values):6.2f} ms  p95 {p95(values):6.2f} ms over {count}"
              f"  ({'under' if p95(values) < TARGET_MS else 'OVER'} the {TARGET_MS:.0f} ms target)")


def mixed_load(server: Server, run_id: str, png: bytes) -> None:
    body, headers = multipart(png)
    kinds = (["predict"] * PREDICTIONS + ["listing"] * 200 + ["runs page"] * 150 + ["draw page"] * 100
             + ["run detail"] * 100 + ["report"] * 100 + ["static"] * (MIXED - PREDICTIONS - 650))
    random.Random(0).shuffle(kinds)
    paths = {"predict": f"/api/predict?run={run_id}", "listing": "/api/runs", "runs page": "/",
             "draw page": "/draw", "run detail": f"/api/runs/{run_id}", "report": f"/report/{run_id}",
             "static": "/static/draw.js"}
    server.reset_peak()
    before = server.memory_mb("VmRSS")
    times: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    local = threading.local()

    def one(kind: str) -> None:
        if not hasattr(local, "connection"):
            local.connection = server.connect()
        status, elapsed, data = send(local.connection, "POST" if kind == "predict" else "GET", paths[kind],
                                     body if kind == "predict" else None, headers if kind == "predict" else None)
        times[kind].append(elapsed)
        if status != 200:
            errors.append(f"{kind} {status}: {data[:160]!r}")

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(one, kinds))
    wall = time.perf_counter() - started
    every = [value for values in times.values() for value in values]
    print(f"2. {CLIENTS} clients, {len(kinds)} mixed requests in {wall:.1f} s: {len(errors)} errors "
          f"({'target met' if not errors else 'TARGET MISSED'}); p95 {p95(every):.0f} ms, median "
          f"{statistics.median(every):.1f} ms; server memory {before:.0f} MB before, peak {server.memory_mb():.0f} MB")
    for kind, values in sorted(times.items()):
        print(f"   {kind:11s} {len(values):4d} requests  median {statistics.median(values):7.1f} ms  "
              f"p95 {p95(values):7.1f} ms")
    for error in errors[:5]:
        print("   error:", error)


def big_uploads(server: Server, run_id: str) -> None:
    png = huge_png()
    body, headers = multipart(png)
    server.reset_peak()
    before = server.memory_mb("VmRSS")
    barrier = threading.Barrier(UPLOADS)

    def one(_: int) -> tuple[int, float]:
        connection = server.connect()
        barrier.wait()  # all at once
        status, elapsed, _ = send(connection, "POST", f"/api/predict?run={run_id}", body, headers)
        return status, elapsed

    with ThreadPoolExecutor(UPLOADS) as pool:
        results = list(pool.map(one, range(UPLOADS)))
    peak = server.memory_mb()
    print(f"3. {UPLOADS} concurrent 4096x4096 RGBA uploads ({len(png):,} bytes each): statuses "
          f"{sorted({status for status, _ in results})}, slowest {max(e for _, e in results):.0f} ms; server memory "
          f"{before:.0f} MB before, peak {peak:.0f} MB ({'under' if peak < MEMORY_MB else 'OVER'} the "
          f"{MEMORY_MB:.0f} MB target)")


def listing(server: Server, run: Path) -> None:
    for k in range(FOLDERS - 1):  # hard links: 500 folders for the price of one
        shutil.copytree(run, run.parent / f"copy-{k:03d}", copy_function=os.link, ignore=shutil.ignore_patterns(
            "figures", "*.npz"))
    connection = server.connect()
    status, first, data = send(connection, "GET", "/api/runs")
    count = len(json.loads(data))
    warm = [send(connection, "GET", "/api/runs")[1] for _ in range(20)]
    page = [send(connection, "GET", "/")[1] for _ in range(10)]
    print(f"4. listing {count} run folders: first {first:.0f} ms (reads every file), then median "
          f"{statistics.median(warm):.0f} ms, p95 {p95(warm):.0f} ms (cached by modification time; "
          f"{'under' if p95(warm) < LISTING_MS else 'OVER'} the {LISTING_MS:.0f} ms target); runs page "
          f"median {statistics.median(page):.0f} ms")


def heavy_folder(run: Path, folder: Path) -> Path:
    """A copy of ``run`` made as heavy to draw as the reader accepts: 62 classes in its scores and
    predictions, and a 200-layer architecture where every layer takes all earlier ones as inputs."""
    import yaml

    from fitbench import _io
    from fitbench.runs import _record as r
    from fitbench.runs import _write

    shutil.copytree(run, folder, ignore=shutil.ignore_patterns("figures", "report.html"))
    rng, k = np.random.default_rng(0), HEAVY_CLASSES
    config = yaml.safe_load((folder / "config.yaml").read_text())
    config["dataset"] = {"name": "arrays", "input_shape": [28, 28], "num_classes": k}
    _io.write_yaml(folder / "config.yaml", config)
    metrics = json.loads((folder / "metrics.json").read_text())
    for name in ("train", "val", "test"):
        matrix = rng.integers(0, 5, (k, k))
        np.fill_diagonal(matrix, 100)
        metrics["splits"][name] = {"split": name, "n": int(matrix.sum()), "loss": 0.3, "accuracy": 0.9,
                                   "macro_f1": 0.9, "per_class_f1": [0.9] * k, "per_class_precision": [0.9] * k,
                                   "per_class_recall": [0.9] * k, "confusion_matrix": matrix.tolist()}
    _io.write_json(folder / "metrics.json", metrics)
    layers = [r.Layer(name=f"dense_{i}", kind="Dense", output_shape="(None, 8)", params=72, built=True,
                      inputs=tuple(f"dense_{j}" for j in range(i))) for i in range(HEAVY_LAYERS)]
    _write.write_architecture(folder, r.Architecture(
        name="heavy", kind="Functional", nodes=layers, trainable_params=72 * HEAVY_LAYERS, non_trainable_params=0,
        optimizer_params=0, traced=True, summary="a dense graph"))
    labels = rng.integers(0, k, 2000)
    probabilities = rng.dirichlet(np.ones(k), 2000).astype(np.float16)
    _write.write_predictions(folder, {name: r.SplitPredictions(labels, probabilities, np.arange(2000))
                                      for name in ("val", "test")})
    return folder


def isolation(server: Server, run: Path) -> None:
    heavy = heavy_folder(run, run.parent / "heavy")
    for k in range(HEAVY_REQUESTS):  # hard links: 45 folders, each its own report to draw
        shutil.copytree(heavy, run.parent / f"heavy-{k:02d}", copy_function=os.link)
    print(f"6. {sum(path.stat().st_size for path in heavy.iterdir()) / 1e6:.1f} MB heavy folder "
          f"({HEAVY_CLASSES} classes, {HEAVY_LAYERS} densely connected layers); load {os.getloadavg()[0]:.1f}")
    connection = server.connect()
    send(connection, "GET", "/api/runs")  # the first listing reads every folder
    idle = [send(connection, "GET", "/api/runs")[1] for _ in range(100)]
    print(f"   idle server:  /api/runs median {statistics.median(idle):6.1f} ms  p95 {p95(idle):6.1f} ms over 100")
    for label, paths in (("one heavy report", ["/report/heavy"] * HEAVY_REQUESTS),
                         ("45 heavy reports", [f"/report/heavy-{k:02d}" for k in range(HEAVY_REQUESTS)])):
        statuses, elapsed, samples = under_load(server, connection, paths)
        print(f"   {HEAVY_REQUESTS} GETs, {label}: /api/runs median {statistics.median(samples):6.1f} ms  "
              f"p95 {p95(samples):6.1f} ms  max {max(samples):6.0f} ms over {len(samples)} "
              f"({'under' if p95(samples) < LISTING_MS else 'OVER'} the {LISTING_MS:.0f} ms target, "
              f"{p95(samples) / p95(idle):.1f}x idle); reports {dict(sorted(statuses.items()))} in "
              f"{elapsed:.0f} s; load {os.getloadavg()[0]:.1f}")


def under_load(server: Server, connection: http.client.HTTPConnection,
               paths: list[str]) -> tuple[dict[int, int], float, list[float]]:
    """``paths`` requested all at once while ``/api/runs`` is asked every 50 ms (at most 3,000 times)."""
    statuses: dict[int, int] = defaultdict(int)
    finished = threading.Event()

    def one(path: str) -> None:
        statuses[send(server.connect(), "GET", path)[0]] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(len(paths)) as pool:
        requests = [pool.submit(one, path) for path in paths]
        threading.Thread(target=lambda: ([request.result() for request in requests], finished.set()),
                         daemon=True).start()
        samples = []
        while not finished.is_set() and len(samples) < 3000:
            samples.append(send(connection, "GET", "/api/runs")[1])
            finished.wait(0.05)
    return statuses, time.perf_counter() - started, samples


def threads_on_one_model(run: Path) -> None:
    """One jitted forward pass called from 8 threads at once, with no lock and with one lock."""
    from fitbench.web._catalog import Catalog
    from fitbench.runs import read_run
    from fitbench.web._models import load

    _, info = Catalog(run.parent).entry(run)
    forward = load(read_run(run), info).forward
    batch = np.zeros((1, 28, 28), np.float32)
    forward(batch)
    lock = threading.Lock()

    def locked(x: np.ndarray) -> np.ndarray:
        with lock:
            return forward(x)

    for name, call in (("no lock", forward), ("one lock", locked)):
        started = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(lambda _: call(batch), range(4000)))
        per = (time.perf_counter() - started) / 4000 * 1e6
        print(f"5. 8 threads, 4,000 predictions through one model's forward pass, {name:8s}: {per:6.0f} us each")


if __name__ == "__main__":
    main()
