"""A runs directory for the web tests: crafted runs (no training), and one real MNIST run.

``served`` holds a digits-shaped run with a model (8x8 input), a run without a model, a
nested tuning-style run and a damaged folder. ``mnist_run`` trains the course's ``first``
model into the same directory on 9,000 of the shared MNIST 10,000 and keeps 500 others
for the prediction tests; it skips when the shared set is missing.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

import fitbench as fb
from tests.conftest import MNIST_IMAGES, MNIST_LABELS, SHARED_MNIST
from tests.diagnosis.crafted import run_folder


LOCAL = "http://127.0.0.1"  # the test client's base URL: a loopback host the app answers


class MnistRun(NamedTuple):
    id: str
    path: Path
    images: np.ndarray  # (500, 28, 28) in 0..1: test images the model never trained on
    labels: np.ndarray  # (500,)


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory, digits: fb.Dataset) -> Path:
    root = tmp_path_factory.mktemp("served") / "runs"
    small = run_folder(root, "digits-8x8", dataset={"name": "digits", "seed": 0})
    fb.build_model("small", digits).save(small / "model.keras")  # untrained: shape is what matters
    run_folder(root, "no-model")
    run_folder(root / "study" / "trials", "trial-1")
    damaged = root / "damaged"
    damaged.mkdir()
    (damaged / "config.yaml").write_text("name: [unclosed\n")
    return root


def png(image: np.ndarray) -> bytes:
    """An array of 0..1 (or a uint8 array) as PNG bytes."""
    from PIL import Image

    pixels = image if image.dtype == np.uint8 else (np.clip(image, 0, 1) * 255).round().astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="session")
def mnist_run(served: Path) -> MnistRun:
    if not (MNIST_IMAGES.is_file() and MNIST_LABELS.is_file()):
        pytest.skip(f"real MNIST not found at {SHARED_MNIST} (a clone without ../shared)")
    data = fb.load_dataset("idx", images=MNIST_IMAGES, labels=MNIST_LABELS, train_size=9000, val_size=500,
                           test_size=500, seed=42)
    # 15 epochs at batch 32, lr 1e-3: ~11 s here, 96% on the 500 held-out images (the course's
    # batch 10 and 3e-4 need minutes to pass 95% on this little data).
    run = fb.fit(fb.build_model("first", data), data, epochs=15, batch_size=32, learning_rate=1e-3,
                 runs_dir=served, name="first-mnist", verbose=False)
    x, y = data.split("test")
    return MnistRun(run.path.relative_to(served).as_posix(), run.path, x, y)
