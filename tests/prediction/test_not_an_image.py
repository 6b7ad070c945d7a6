"""Issue 25: a text file named ``.jpg`` is "not an image", said the same way by ``run.predict``,
``fitbench predict`` (one line, exit 2) and the web page, never "give image files (... .jpg ...)"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, strategies as st
from PIL import Image

import fitbench as fb
from fitbench.errors import DataError, FitbenchWarning
from fitbench.prediction import UnreadableImage, decode_image
from fitbench.web import create_app
from tests.cli.test_cli import fitbench
from tests.web.conftest import LOCAL

TEXT = "ImageId,Label\n1,7\n"  # a CSV saved under an image's name, say
SAID = "not an image (its bytes are text, not a PNG, JPEG, BMP, GIF or TIFF image)"


@pytest.fixture
def text_jpg(tmp_path: Path) -> Path:
    path = tmp_path / "x.jpg"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_run_predict_says_the_file_is_not_an_image(tiny_run: Path, text_jpg: Path):
    with pytest.raises(DataError) as raised:
        fb.load_run(tiny_run).predict(text_jpg)
    assert str(raised.value) == f"{text_jpg}: {SAID}"


def test_fitbench_predict_says_it_in_one_line_and_exits_2(tiny_run: Path, text_jpg: Path, tmp_path: Path):
    done = fitbench("predict", str(tiny_run), str(text_jpg), "-o", str(tmp_path / "predictions.csv"))
    assert (done.returncode, done.stderr) == (2, f"fitbench: error: {text_jpg}: {SAID}\n")
    assert not (tmp_path / "predictions.csv").exists()


def test_the_web_says_it_too(tiny_run: Path, tmp_path: Path):
    client = TestClient(create_app(tiny_run.parent, cache_dir=tmp_path / "web-cache"), base_url=LOCAL)
    answer = client.post("/api/predict", params={"run": tiny_run.name}, files={"file": ("x.jpg", TEXT.encode())})
    assert answer.status_code == 415
    assert answer.json()["detail"] == "not an image (its bytes are text, not a PNG or JPEG image)"


def test_among_images_a_text_file_is_skipped_with_the_same_reason(tiny_run: Path, text_jpg: Path, tmp_path: Path):
    image = tmp_path / "digit.png"
    Image.fromarray((np.eye(8) * 255).astype(np.uint8)).save(image)  # a stroke: not blank
    with pytest.warns(FitbenchWarning, match=r"skipped 1 unreadable image file\(s\): .*x\.jpg: not an image"):
        prediction = fb.load_run(tiny_run).predict([image, text_jpg])
    assert prediction.names == [str(image)]


@given(st.binary(min_size=1, max_size=600))
def test_any_bytes_pillow_cannot_read_get_one_line(data: bytes):
    try:
        decode_image(data)
    except UnreadableImage as problem:
        said = str(problem)
        assert "\n" not in said and said.startswith(("not an image (its bytes are text", "not a PNG", "the image is"))
