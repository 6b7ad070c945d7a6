"""The maps of a trained `first` model pass both sanity checks; `fitbench explain` draws them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import fitbench as fb
from fitbench.data import Dataset
from fitbench.data._idx import read_idx_pair
from fitbench.explain import Explanation
from tests.cli.test_cli import fitbench
from tests.conftest import MNIST_IMAGES, MNIST_LABELS

CHECKED = 200  # test images the checks run on (the figure)


def _data() -> Dataset:
    """The shared MNIST test set split 6,000 / 1,000 / 3,000 (28x28: 10% is 78 pixels), else
    scikit-learn's 8x8 digits (10% is 6 pixels)."""
    if not (MNIST_IMAGES.is_file() and MNIST_LABELS.is_file()):
        return fb.load_dataset("digits", seed=0)
    x, y = read_idx_pair(MNIST_IMAGES, MNIST_LABELS)
    x = x.astype(np.float32) / np.float32(255.0)
    return Dataset.from_arrays((x[:6000], y[:6000]), (x[6000:7000], y[6000:7000]), (x[7000:], y[7000:]),
                               num_classes=10, name="mnist-t10k")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[fb.Run, Dataset]:
    data = _data()
    runs = tmp_path_factory.mktemp("explain") / "runs"
    run = fb.fit(fb.build_model("first", data), data, epochs=3, batch_size=64, runs_dir=runs, verbose=False)
    return run, data


@pytest.mark.slow  # trains `first` for 3 epochs (about 30 s on a loaded machine)
def test_trained_maps_pass_randomisation_and_deletion(trained: tuple[fb.Run, Dataset]) -> None:
    run, data = trained
    explanation = run.explain(data.x_test[:CHECKED])
    checks = explanation.checks
    assert isinstance(explanation, Explanation) and explanation.method == "integrated_gradients"
    assert explanation.maps.shape == (CHECKED, *data.input_shape[:2])
    # MNIST (28x28, 3 epochs): mean Spearman about -0.02, deletion 200/200 (README).
    assert checks.mean_spearman < 0.5
    assert checks.deletion_fraction >= 0.8
    assert explanation.passed(0) == [name for name, ok in (("randomisation", checks.spearman[0] < 0.5),
                                                          ("deletion", checks.top_drop[0] > checks.random_drop[0]))
                                     if ok]
    assert explanation.summary() in explanation._repr_html_()


@pytest.mark.slow  # shares the trained run; the command imports Keras in a subprocess
def test_explain_command_writes_a_picture_per_image(trained: tuple[fb.Run, Dataset], tmp_path: Path) -> None:
    run, data = trained
    for k in range(2):
        Image.fromarray((data.x_test[k] * 255).astype(np.uint8)).save(tmp_path / f"digit{k}.png")
    out = tmp_path / "maps"
    done = fitbench("explain", str(run.path), str(tmp_path / "digit0.png"), str(tmp_path / "digit1.png"),
                    "-o", str(out), "--steps", "16")
    assert done.returncode == 0, done.stderr
    assert sorted(path.name for path in out.iterdir()) == ["0001-digit0.png", "0002-digit1.png"]
    assert Image.open(out / "0001-digit0.png").format == "PNG"
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("2 integrated gradients map(s); randomisation: mean Spearman")


def test_explain_command_refuses_a_missing_run_in_one_line(tmp_path: Path) -> None:
    image = tmp_path / "seven.png"
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(image)
    for args, message in (([str(tmp_path / "nope"), str(image)], "no such run folder"),
                          ([str(tmp_path), str(tmp_path / "missing.png")], "missing.png: no such file or folder")):
        done = fitbench("explain", *args, "-o", str(tmp_path / "out"))
        assert done.returncode == 2 and message in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()
    bad = fitbench("explain", str(tmp_path), str(image), "--steps", "0")
    assert bad.returncode == 2 and "expected a whole number of steps 1..1024" in bad.stderr
