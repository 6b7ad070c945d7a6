"""A runs directory of hostile and damaged folders, beside an ``outside`` folder nothing may read.

``hostile_runs`` returns, for each folder the listing must show, the one line it must say
(a problem, or why its model needs its code); ``HIDDEN`` are names that must not be listed.
Every secret file outside holds ``SECRET``, which must never appear in an answer.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

from fitbench import _io
from tests.diagnosis.crafted import run_folder

SECRET = "fitbench-secret-7f3a"
HIDDEN = ("root-link", "linked-run", ".hidden-run")
MARKER = "planted-ran.txt"  # the planted module writes it, beside the runs dir, if it is ever imported
# A YAML anchor bomb: 9 levels of 9 aliases, 387 million values once expanded.
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + k)}: &{chr(98 + k)} [{', '.join(['*' + chr(97 + k)] * 9)}]\n" for k in range(8))


def save_model(folder: Path, shape: tuple[int, ...] = (28, 28), *, wraps_code: bool = False,
               activation: str = "softmax") -> Path:
    """An untrained Flatten > Dense softmax model as ``folder/model.keras`` (a Lambda one if ``wraps_code``)."""
    from fitbench._keras import keras

    layers = [keras.Input(shape), keras.layers.Flatten()]
    if wraps_code:
        layers.append(keras.layers.Lambda(lambda x: x * 2))
    model = keras.Sequential([*layers, keras.layers.Dense(10, activation=activation)])
    model.save(folder / "model.keras")
    return folder / "model.keras"


def edit_config(folder: Path, **sections: dict) -> None:
    import yaml

    config = yaml.safe_load((folder / "config.yaml").read_text())
    for key, value in sections.items():
        config[key] = {**(config.get(key) or {}), **value}
    _io.write_yaml(folder / "config.yaml", config)


def edit_metrics(folder: Path, change) -> None:
    metrics = json.loads((folder / "metrics.json").read_text())
    change(metrics)
    (folder / "metrics.json").write_text(json.dumps(metrics))


def mnist_folder(runs: Path, run: str, **dataset) -> Path:
    folder = run_folder(runs, run, dataset={"name": "mnist", **dataset})
    save_model(folder)
    return folder


def hostile_runs(base: Path) -> dict[str, str]:
    runs, outside = base / "runs", base / "outside"
    outside.mkdir(parents=True)
    (outside / "secret.yaml").write_text(f"name: {SECRET}\n")
    (outside / "metrics.json").write_text(json.dumps({"splits": {}, "note": SECRET}))
    expected: dict[str, str] = {}

    mnist_folder(runs, "good")
    expected["good"] = ""
    expected["fashion"] = ""
    mnist_folder(runs, "fashion", name="fashion_mnist")

    folder = run_folder(runs, "no-time-column")
    (folder / "history.csv").write_text("epoch,loss,val_loss\n1,0.5,0.6\n")
    expected["no-time-column"] = "history.csv has no time_s column"

    folder = run_folder(runs, "val-is-a-string")
    edit_metrics(folder, lambda m: m["splits"].__setitem__("val", "oops"))
    expected["val-is-a-string"] = "metrics.json is damaged (splits.val"

    folder = run_folder(runs, "huge-matrix")
    edit_metrics(folder, lambda m: m.__setitem__("splits", {"val": {  # a valid record, but of 300 classes
        **m["splits"]["val"], "confusion_matrix": [[1] * 300] * 300, "per_class_f1": [0.5] * 300, "n": 90_000}}))
    expected["huge-matrix"] = "metrics.json: 300 classes; the web page draws at most 62"

    folder = mnist_folder(runs, "zen-factory")
    edit_config(folder, model={"factory": "this:s"})
    expected["zen-factory"] = "needs its code: built by this:s"

    (runs / "planted.py").write_text(f"open({str(base / MARKER)!r}, 'w').write('ran')\ndef build(*a, **k): pass\n")
    folder = mnist_folder(runs, "planted-factory")
    edit_config(folder, model={"factory": "planted:build"})
    expected["planted-factory"] = "needs its code: built by planted:build"

    folder = run_folder(runs, "lambda-model", dataset={"name": "mnist"})
    save_model(folder, wraps_code=True)
    expected["lambda-model"] = "needs its code: its Lambda layer wraps Python code"

    mnist_folder(runs, "reads-passwd", images="/etc/passwd", labels="../../outside/secret.yaml")
    expected["reads-passwd"] = ""
    folder = run_folder(runs, "wants-mnist", dataset={"name": "mnist"})  # no model: the report would load data
    expected["wants-mnist"] = "model.keras is missing"

    folder = run_folder(runs, "linked-config")
    (folder / "config.yaml").unlink()
    (folder / "config.yaml").symlink_to(outside / "secret.yaml")
    expected["linked-config"] = "config.yaml is a symbolic link"

    folder = run_folder(runs, "linked-metrics")
    (folder / "metrics.json").unlink()
    (folder / "metrics.json").symlink_to(outside / "metrics.json")
    expected["linked-metrics"] = "metrics.json is a symbolic link"

    folder = run_folder(runs, "linked-model", dataset={"name": "mnist"})
    (folder / "model.keras").symlink_to(save_model(outside))
    expected["linked-model"] = "model.keras is a symbolic link (not followed)"

    folder = run_folder(runs, "truncated-model", dataset={"name": "mnist"})
    data = save_model(folder).read_bytes()
    (folder / "model.keras").write_bytes(data[: len(data) // 2])
    expected["truncated-model"] = "model.keras is damaged"

    folder = run_folder(runs, "truncated-history")
    text = (folder / "history.csv").read_text()
    (folder / "history.csv").write_text(text[: len(text) - 12])
    expected["truncated-history"] = "history.csv is damaged at epoch row 9"

    folder = run_folder(runs, "anchor-bomb")
    (folder / "config.yaml").write_text(BOMB)
    expected["anchor-bomb"] = "config.yaml is too large or too deeply nested"

    folder = run_folder(runs, "not-utf8")
    (folder / "config.yaml").write_bytes(b"name: \xff\xfe\n")
    expected["not-utf8"] = "config.yaml is not UTF-8"

    folder = run_folder(runs, "fifo-status")
    (folder / "status.json").unlink()
    os.mkfifo(folder / "status.json")
    expected["fifo-status"] = "status.json is not a regular file"

    folder = run_folder(runs, "oversized-metrics")
    (folder / "metrics.json").write_text(json.dumps({"splits": {}, "padding": "x" * 3_000_000}))
    expected["oversized-metrics"] = "metrics.json is too large"

    folder = run_folder(runs, "unknown-state")
    (folder / "status.json").write_text('{"state": "finished"}')
    expected["unknown-state"] = "status.json is damaged (state"

    folder = run_folder(runs, "nested-json")
    (folder / "metrics.json").write_text("[" * 100_000)
    expected["nested-json"] = "metrics.json is damaged"

    folder = run_folder(runs, "logits-model", dataset={"name": "mnist"})
    save_model(folder, activation="linear")  # no softmax: the page shows probabilities all the same
    expected["logits-model"] = ""

    folder = run_folder(runs, "fifo-lock")
    (folder / "status.json").write_text('{"state": "running"}')
    os.mkfifo(folder / ".lock")  # asking a FIFO for its lock would hang the request
    expected["fifo-lock"] = ".lock is not a regular file"

    (runs / "root-link").symlink_to("/", target_is_directory=True)
    (runs / "linked-run").symlink_to(run_folder(outside, "elsewhere"), target_is_directory=True)
    run_folder(runs, ".hidden-run")
    return expected


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under ``root`` (symlinks not followed): mtime, size and a hash of file contents."""
    seen: dict[str, tuple] = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            info = path.lstat()
            digest = ""
            if path.is_file() and not path.is_symlink():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            seen[str(path.relative_to(root))] = (info.st_mtime_ns, info.st_size, digest)
        seen[str(Path(folder).relative_to(root)) + "/"] = (Path(folder).lstat().st_mtime_ns,)
    return seen


def png_with_text_chunk(size: int = 2_000_000) -> bytes:
    """A small PNG whose compressed text chunk expands past Pillow's MAX_TEXT_CHUNK."""
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "x" * size, zip=True)
    buffer = io.BytesIO()
    Image.new("L", (28, 28)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def huge_png(side: int = 4096, mode: str = "RGBA") -> bytes:
    """A legal ``side`` x ``side`` PNG: a black stroke on white, compressing to ~100 kB."""
    from PIL import Image, ImageDraw

    image = Image.new(mode, (side, side), "white")
    ImageDraw.Draw(image).line([(side // 2, side // 5), (side // 2, 4 * side // 5)], fill="black", width=side // 20)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
