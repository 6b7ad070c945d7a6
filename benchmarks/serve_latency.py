"""Prediction latency of ``fitbench serve``: a real uvicorn on 127.0.0.1, warm model, 200 requests.

Each request uploads what the draw page sends: a 280x280 PNG of black ink on white (an MNIST
test digit, inverted and scaled up), over one kept-alive HTTP connection as a browser does.
Prints the median and 95th percentile of the round trip and of the server's own time
(decode + preprocess + predict, from the answer's ``elapsed_ms``). Target: under 50 ms.

    python benchmarks/serve_latency.py                       # trains a quick `first` run first
    python benchmarks/serve_latency.py --run runs/<run>      # an existing 28x28 run
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"
TARGET_MS = 50.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="a run folder with a 28x28 model (default: train one)")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        run = args.run.resolve() if args.run else quick_run(Path(scratch) / "runs")
        port, stop = serve(run.parent)
        try:
            measure(port, run.name, canvas_png(), args.requests)
        finally:
            stop()


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
    digit = images[0].astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(255 - digit).resize((280, 280), Image.Resampling.BILINEAR).convert("RGBA").save(buffer, "PNG")
    return buffer.getvalue()


def serve(runs_dir: Path) -> tuple[int, object]:
    """uvicorn in a thread on a free port of 127.0.0.1; returns the port and a stop function."""
    import uvicorn

    from fitbench.cli._serve import bind
    from fitbench.web import create_app

    listener = bind("127.0.0.1", 0)  # as `fitbench serve` listens
    server = uvicorn.Server(uvicorn.Config(create_app(runs_dir), log_config=None, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not server.started:  # uvicorn has no "started" event to wait on: poll its flag
        if not thread.is_alive():
            raise SystemExit("uvicorn did not start")
        time.sleep(0.02)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return listener.getsockname()[1], stop


def measure(port: int, run_id: str, png: bytes, count: int) -> None:
    boundary = "fitbench-benchmark"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"drawing.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + png + f"\r\n--{boundary}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.connect()
    # As browsers do: without TCP_NODELAY, Nagle's algorithm and delayed ACKs add ~40 ms per
    # request that has nothing to do with the server.
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    path = f"/api/predict?run={run_id}"

    def once() -> tuple[float, dict]:
        started = time.perf_counter()
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = json.loads(response.read())
        if response.status != 200:
            raise SystemExit(f"predict failed ({response.status}): {answer}")
        return (time.perf_counter() - started) * 1000, answer

    cold, answer = once()  # loads the model and compiles its predict step
    rounds, server = [], []
    for _ in range(count):
        elapsed, answer = once()
        rounds.append(elapsed)
        server.append(answer["elapsed_ms"])
    print(f"upload: {len(png):,} bytes PNG 280x280; label {answer['label']}; first (cold) request {cold:.0f} ms")
    for name, values in (("round trip", rounds), ("server time", server)):
        p95 = float(np.percentile(values, 95))
        print(f"{name:12s} median {statistics.median(values):6.2f} ms  p95 {p95:6.2f} ms  over {count} requests"
              f"  ({'under' if p95 < TARGET_MS else 'OVER'} the {TARGET_MS:.0f} ms target)")


if __name__ == "__main__":
    main()
