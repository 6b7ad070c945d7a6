"""Every prediction path prepares an image the same way: ``run.predict``, ``fitbench predict``
and the web API give the same classes for the same files, for a digit run (MNIST-like: ink
centred in a 20x20 box) and a run on whole-frame images (Fashion-MNIST-like).

The data are scikit-learn's digits made 28x28 two ways, so no download is needed; the real
Fashion-MNIST (``apt-get install dataset-fashion-mnist``) is used too when it is there.
"""

from __future__ import annotations

import csv
import gzip
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

import fitbench as fb
from fitbench.errors import FitbenchWarning
from fitbench.runs._preparation import PREPARATION, Preparation
from fitbench.web import create_app
from tests.cli.test_cli import fitbench
from tests.web.conftest import LOCAL

FASHION = Path("/usr/share/datasets/fashion-mnist")
INPUTS = 50


class Trained(NamedTuple):
    run: Path
    images: np.ndarray  # (n, 28, 28) uint8 test images of its kind, white on black


def digits_28(digits: np.ndarray, *, box: int) -> np.ndarray:
    """scikit-learn's 8x8 digits (0..16) as 28x28 uint8 white-on-black images: scaled to ``box``
    and centred (``box=20``: MNIST's layout) or filling the frame (``box=28``: a whole-frame object)."""
    out = np.zeros((len(digits), 28, 28), np.uint8)
    start = (28 - box) // 2
    for k, image in enumerate(digits):
        small = Image.fromarray((image * (255 / 16)).astype(np.uint8)).resize((box, box), Image.Resampling.BILINEAR)
        out[k, start:start + box, start:start + box] = np.asarray(small)
    return out


def train(tmp: Path, images: np.ndarray, labels: np.ndarray, name: str) -> Path:
    cut = len(images) - 300
    data = fb.Dataset.from_arrays((images[:cut] / 255.0, labels[:cut]), (images[cut:] / 255.0, labels[cut:]))
    return fb.fit(fb.build_model("small", data), data, epochs=3, batch_size=32, learning_rate=3e-3,
                  runs_dir=tmp / "runs", name=name, verbose=False).path


@pytest.fixture(scope="module")
def digit_run(tmp_path_factory: pytest.TempPathFactory, digits: fb.Dataset) -> Trained:
    x, y = np.concatenate([digits.x_train, digits.x_val]), np.concatenate([digits.y_train, digits.y_val])
    images = digits_28(x * 16.0, box=20)
    return Trained(train(tmp_path_factory.mktemp("digit"), images, y, "mnist-like"),
                   digits_28(digits.x_test * 16.0, box=20))


@pytest.fixture(scope="module")
def frame_run(tmp_path_factory: pytest.TempPathFactory, digits: fb.Dataset) -> Trained:
    x, y = np.concatenate([digits.x_train, digits.x_val]), np.concatenate([digits.y_train, digits.y_val])
    return Trained(train(tmp_path_factory.mktemp("frame"), digits_28(x * 16.0, box=28), y, "fashion-like"),
                   digits_28(digits.x_test * 16.0, box=28))


def write_as_is(images: np.ndarray, folder: Path) -> list[Path]:
    """The images as 8-bit grayscale PNGs, as the training images look."""
    folder.mkdir(parents=True)
    paths = [folder / f"{k:02d}.png" for k in range(len(images))]
    for path, image in zip(paths, images, strict=True):
        Image.fromarray(image).save(path)
    return paths


def write_photos(images: np.ndarray, folder: Path, *, framed: bool) -> list[Path]:
    """The images as photographed ink: dark on light grey paper, twice as large (``framed``: the
    object fills the photo; else off centre on a larger sheet); every third one blue ink on an RGB
    photo, every fifth a 16-bit PNG."""
    folder.mkdir(parents=True)
    paths = []
    for k, image in enumerate(images):
        ink = np.asarray(Image.fromarray(image).resize((56, 56), Image.Resampling.BILINEAR), np.float64)
        paper = np.full((56, 56) if framed else (96, 80), 225.0)
        paper[-56:, -56:] -= ink * (185 / 255)  # ink at 40 on paper at 225
        if k % 5 == 0:
            path = folder / f"{k:02d}-16bit.png"
            Image.fromarray((paper * 257).astype(np.uint16)).save(path)
        elif k % 3 == 0:
            path = folder / f"{k:02d}-blue.png"
            rgb = np.stack([paper, paper, np.full_like(paper, 225.0)], axis=-1)  # blue keeps its blue
            Image.fromarray(rgb.astype(np.uint8), "RGB").save(path)
        else:
            path = folder / f"{k:02d}.png"
            Image.fromarray(paper.astype(np.uint8)).save(path)
        paths.append(path)
    return paths


def through_python(run: Path, paths: list[Path]) -> tuple[list[int], list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        labels = fb.load_run(run).predict(paths).labels.tolist()
    return labels, [str(w.message) for w in caught if issubclass(w.category, FitbenchWarning)]


def through_cli(run: Path, paths: list[Path], out: Path) -> tuple[list[int], str]:
    done = fitbench("predict", str(run), *map(str, paths), "-o", str(out))
    assert done.returncode == 0, done.stderr
    with out.open(newline="") as handle:
        names = [row["predicted"] for row in csv.DictReader(handle)]
    classes = fb.load_run(run).predict(paths[:1]).class_names
    return [classes.index(name) for name in names], done.stderr


def through_web(run: Path, paths: list[Path]) -> list[int]:
    client = TestClient(create_app(run.parent, cache_dir=run.parent.parent / "web-cache"), base_url=LOCAL)
    labels = []
    for path in paths:
        answer = client.post("/api/predict", params={"run": run.name}, files={"file": (path.name, path.read_bytes())})
        assert answer.status_code == 200, answer.text
        labels.append(answer.json()["label"])
    return labels


def test_training_records_how_to_prepare_inputs(digit_run: Trained, frame_run: Trained) -> None:
    digit = Preparation.model_validate_json((digit_run.run / PREPARATION).read_text())
    frame = Preparation.model_validate_json((frame_run.run / PREPARATION).read_text())
    assert (digit.size, digit.color_mode, digit.white, digit.background) == ((28, 28), "grayscale", 1.0, "dark")
    assert digit.digit_box == 20 and frame.digit_box is None  # measured: centred in a margin, or filling the frame


@pytest.mark.slow  # two runs trained, one `fitbench predict` subprocess per run
@pytest.mark.parametrize("kind", ["digit", "frame"])
def test_every_path_gives_the_same_classes(kind: str, digit_run: Trained, frame_run: Trained,
                                           tmp_path: Path) -> None:
    trained = digit_run if kind == "digit" else frame_run
    images = trained.images[:INPUTS]
    as_is = write_as_is(images, tmp_path / "as-is")
    photos = write_photos(images, tmp_path / "photos", framed=kind == "frame")
    paths = as_is + photos
    python, said = through_python(trained.run, paths)
    cli, stderr = through_cli(trained.run, paths, tmp_path / "predictions.csv")
    web = through_web(trained.run, paths)
    assert python == cli == web
    # Photos of dark ink on light paper are inverted to the training images' polarity, and said once.
    assert [line for line in said if "inverted" in line] == [f"{INPUTS} of {2 * INPUTS} input(s) had the "
                                                               "other background than the training images (dark on "
                                                               "light, or the reverse): inverted them"]
    assert stderr.count("inverted them") == 1
    # And they read as the same images do: the preparation undoes the photograph.
    assert np.mean(np.array(python[:INPUTS]) == np.array(python[INPUTS:])) >= 0.8


def read_idx(path: Path) -> np.ndarray:
    with gzip.open(path) as handle:
        return np.frombuffer(handle.read()[16:], np.uint8).reshape(-1, 28, 28)


@pytest.mark.slow
@pytest.mark.skipif(not (FASHION / "t10k-images-idx3-ubyte.gz").is_file(),
                    reason="Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
def test_real_fashion_mnist_pngs_agree_on_every_path(tmp_path: Path) -> None:
    images = read_idx(FASHION / "t10k-images-idx3-ubyte.gz")
    with gzip.open(FASHION / "t10k-labels-idx1-ubyte.gz") as handle:
        labels = np.frombuffer(handle.read()[8:], np.uint8).astype(np.int64)
    run = train(tmp_path, images[:3000], labels[:3000], "fashion")
    assert Preparation.model_validate_json((run / PREPARATION).read_text()).digit_box is None
    paths = write_as_is(images[-INPUTS:], tmp_path / "fashion")
    python, _ = through_python(run, paths)
    cli, _ = through_cli(run, paths, tmp_path / "predictions.csv")
    assert python == cli == through_web(run, paths)
