"""The preparation of one image, numbers in and out, and how it is decided and read back."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from fitbench.errors import DataError, FitbenchError
from fitbench.prediction import NothingDrawn, decode_image, prepare
from fitbench.prediction._prepare import INVERTED, LEVELLED
from fitbench.runs._preparation import PREPARATION, Preparation, from_config, measure, read_preparation

MNIST = Preparation(size=(28, 28), color_mode="grayscale", white=1.0, background="dark", digit_box=20)
FRAME = Preparation(size=(28, 28), color_mode="grayscale", white=255.0, background="dark")


def shirt(height: int = 28, width: int = 28) -> np.ndarray:
    """A light shape on black filling most of the frame, as Fashion-MNIST draws a T-shirt: 0..255."""
    image = np.zeros((height, width), np.float32)
    image[height // 8:-height // 8, width // 4:-width // 4] = 200.0
    image[height // 8:height // 3, width // 10:-width // 10] = 200.0  # the sleeves
    return image


def test_a_matching_image_is_only_resized_and_scaled() -> None:
    prepared = prepare(shirt(), FRAME)
    assert prepared.changes == () and np.array_equal(prepared.pixels, shirt())  # 255 stays 255: white is 255
    assert np.allclose(prepare(shirt(), FRAME.model_copy(update={"white": 1.0})).pixels, shirt() / 255.0)


def test_the_other_polarity_is_inverted_and_said() -> None:
    photo = 255.0 - shirt(56, 56)  # a dark shirt on white paper, twice the size
    prepared = prepare(photo, FRAME)
    assert prepared.changes == (INVERTED,)
    assert prepared.pixels[0, 0] == 0 and prepared.pixels[14, 14] == 255  # the shirt bright, the paper black


def test_grey_paper_is_levelled() -> None:
    prepared = prepare(80.0 + shirt() * 0.5, FRAME)  # a lit photo: the paper at 80
    assert prepared.changes == (LEVELLED,) and prepared.pixels[0, 0] == 0 and prepared.pixels.max() == 255


def test_a_light_background_run_gets_dark_ink() -> None:
    scans = FRAME.model_copy(update={"background": "light"})
    prepared = prepare(shirt(), scans)  # light on dark: inverted for a run trained on scans
    assert prepared.changes == (INVERTED,) and prepared.pixels[0, 0] == 255 and prepared.pixels[14, 14] == 0


def test_a_digit_run_centres_the_ink_and_a_frame_run_does_not() -> None:
    small = np.zeros((100, 100), np.float32)
    small[10:30, 60:70] = 255.0  # a stroke in a corner
    digit, whole = prepare(small, MNIST).pixels, prepare(small, FRAME).pixels
    rows, cols = np.nonzero(digit > 0.1)
    assert rows.max() - rows.min() + 1 == 20 and abs((rows.min() + rows.max()) / 2 - 13.5) <= 1  # in the box, centred
    assert whole[:, :14].sum() == 0  # resized whole: the stroke stays top right
    with pytest.raises(NothingDrawn):
        prepare(np.full((30, 30), 255.0), MNIST)


def test_colour_mode_follows_the_run() -> None:
    rgb = np.stack([shirt()] * 3, axis=-1)
    assert prepare(rgb, FRAME).pixels.shape == (28, 28)
    colour = FRAME.model_copy(update={"color_mode": "rgb", "background": "any", "size": (12, 16)})
    assert prepare(shirt(), colour).pixels.shape == (12, 16, 3)


@settings(max_examples=40, deadline=None)
@given(height=st.integers(1, 90), width=st.integers(1, 90), seed=st.integers(0, 2**16),
       rgb=st.booleans(), white=st.sampled_from([1.0, 16.0, 255.0]),
       background=st.sampled_from(["dark", "light", "any"]), box=st.sampled_from([None, 20]))
def test_any_image_becomes_the_model_size_within_its_range(height: int, width: int, seed: int, rgb: bool,
                                                           white: float, background: str, box: int | None) -> None:
    """Whatever the input's size, mode and values, the prepared image has the run's size and lies in 0..white."""
    rng = np.random.default_rng(seed)
    image = rng.uniform(0, 255, (height, width, 3) if rgb else (height, width)).astype(np.float32)
    preparation = Preparation(size=(28, 28), color_mode="grayscale", white=white, background=background,
                              digit_box=box if background == "dark" else None)
    try:
        pixels = prepare(image, preparation).pixels
    except NothingDrawn:
        return  # a digit run refuses a blank image; any other answer must be an image
    assert pixels.shape == (28, 28) and pixels.dtype == np.float32
    assert pixels.min() >= 0 and pixels.max() <= white * (1 + 1e-5)


@pytest.mark.parametrize("mode", ["I;16", "I", "F", "LA", "P", "CMYK", "1"])
def test_every_mode_decodes(mode: str, tmp_path: Path) -> None:
    gray = shirt()
    if mode == "I;16":
        image = Image.fromarray((gray * 257).astype(np.uint16))  # a 16-bit PNG: 0..65535
    else:
        image = Image.fromarray(gray.astype(np.uint8)).convert(mode)
    path = tmp_path / ("image.tiff" if mode in ("I", "F", "CMYK") else "image.png")
    image.save(path)
    decoded = decode_image(path)
    expected = np.asarray(image.convert("L"), np.float32) if mode == "1" else gray  # "1" is dithered
    assert decoded.shape == (28, 28) and np.abs(decoded - expected).max() <= 2.0  # 16-bit scaled, not clipped


def test_measured_on_mnist_like_and_whole_frame_images() -> None:
    digits = np.zeros((30, 28, 28), np.float32)
    digits[:, 5:23, 9:19] = 1.0  # ink in a 20x20 box at the centre, a margin all round
    frames = np.stack([shirt() / 255.0] * 30)
    assert measure(digits, white=1.0).digit_box == 18  # the box its ink fills
    assert measure(frames, white=1.0).digit_box is None  # ink in the margin: resized whole
    assert measure(1.0 - frames, white=1.0).background == "light"
    assert measure(np.zeros((3, 10)), white=1.0) is None  # not images


def test_an_older_folder_is_prepared_from_its_config(tmp_path: Path) -> None:
    mnist = read_preparation(tmp_path, {"dataset": {"name": "mnist"}}, (28, 28))
    assert mnist.digit_box == 20 and mnist.white == 1.0 and mnist.decided_by == "config"
    raw = read_preparation(tmp_path, {"dataset": {"name": "digits", "normalize": False}}, (64,))
    assert raw.size == (8, 8) and raw.white == 16.0 and raw.digit_box is None
    assert from_config({"dataset": {"name": "fashion_mnist"}}, (28, 28, 1)).digit_box is None
    with pytest.raises(DataError, match="not images"):
        from_config({}, (None, 28))


def test_a_recorded_preparation_that_does_not_fit_the_model_is_refused(tmp_path: Path) -> None:
    (tmp_path / PREPARATION).write_text(MNIST.model_dump_json())
    assert read_preparation(tmp_path, {}, (784,)) == MNIST
    with pytest.raises(DataError, match="the folder is damaged"):
        read_preparation(tmp_path, {}, (32, 32, 3))
    for damage in ({"white": -1}, {"digit_box": 4096}, {"size": [28, 20]}):
        (tmp_path / PREPARATION).write_text(json.dumps({**MNIST.model_dump(), **damage}))
        with pytest.raises(FitbenchError, match=PREPARATION):
            read_preparation(tmp_path, {}, (28, 28))


def test_uploads_and_files_decode_alike(tmp_path: Path) -> None:
    path = tmp_path / "shirt.png"
    Image.fromarray(shirt().astype(np.uint8)).save(path)
    buffer = io.BytesIO()
    Image.fromarray(shirt().astype(np.uint8)).save(buffer, format="PNG")
    assert np.array_equal(decode_image(path), decode_image(buffer.getvalue(), ("PNG", "JPEG")))
