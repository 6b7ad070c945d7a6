"""Preprocessing like MNIST's: numbers first (arrays in, arrays out), then the decoding of files."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from fitbench.prediction import _decode
from fitbench.web._preprocess import (
    ImageTooLarge,
    NothingDrawn,
    UnreadableImage,
    centre_by_mass,
    centre_of_mass,
    crop_to_ink,
    decode_image,
    fit_in_box,
    preprocess,
    to_mnist,
    white_on_black,
)


def drawing(height: int = 280, width: int = 280) -> np.ndarray:
    """A "7" in black ink on white paper, as the draw page sends it: (height, width) in 0..255."""
    paper = np.full((height, width), 255.0, dtype=np.float32)
    h, w = height // 10, width // 10
    paper[2 * h:3 * h, 3 * w:8 * w] = 0  # the bar, heavy at the top
    for row in range(3 * h, 9 * h):  # the stem, slanting left
        column = 8 * w - (row - 3 * h) * 4 * w // (6 * h)
        paper[row, column - w // 2:column + w // 2] = 0
    return paper


def encode(pixels: np.ndarray, mode: str = "L", kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).convert(mode).save(buffer, format=kind)
    return buffer.getvalue()


def ink_box(image: np.ndarray) -> tuple[int, int]:
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_a_drawing_becomes_an_mnist_digit():
    digit = to_mnist(drawing())
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    assert digit.min() == 0.0 and digit.max() == pytest.approx(1.0, abs=0.02)  # white ink on black, 0..1
    assert max(ink_box(digit > 0.05)) == 20  # fits MNIST's 20x20 box
    assert centre_of_mass(digit) == pytest.approx((14.0, 14.0), abs=0.5)
    assert digit[:4].sum() == 0 and digit[:, :4].sum() == 0  # a margin all round, as in MNIST


def test_polarity_size_and_aspect_do_not_matter():
    base = to_mnist(drawing())
    light_on_dark = to_mnist(255 - drawing())
    assert np.abs(light_on_dark - base).max() < 1e-5
    tall = to_mnist(drawing(560, 280))  # twice as tall: the height fills the box, the width half of it
    height, width = ink_box(tall > 0.05)
    assert height == 20 and 8 <= width <= 12


def test_grey_paper_and_faint_ink_are_stretched():
    faint = 200 - (255 - drawing()) * (80 / 255)  # ink 120 on paper 200: a pencil photo
    assert np.abs(to_mnist(faint) - to_mnist(drawing())).max() < 0.02


@pytest.mark.parametrize("paper", [255.0, 0.0, 128.0])
def test_blank_images_are_nothing_drawn(paper: float):
    with pytest.raises(NothingDrawn, match="nothing drawn"):
        to_mnist(np.full((280, 280), paper))


def test_specks_below_the_contrast_floor_are_nothing_drawn():
    noisy = np.random.default_rng(0).uniform(240, 255, size=(100, 100))
    with pytest.raises(NothingDrawn):
        to_mnist(noisy)


def test_each_step():
    ink = white_on_black(drawing())
    assert ink[0, 0] == 0 and ink.max() == 255
    crop = crop_to_ink(ink)
    assert crop.shape == (196, 154)  # the bar's top to the stem's foot; the bar's left to the stem's right
    small = fit_in_box(crop)
    assert small.shape == (20, 16) and small.min() >= 0 and small.max() <= 255
    field = centre_by_mass(small)
    assert field.sum() == pytest.approx(small.sum())  # nothing cut off


def test_an_off_centre_mass_keeps_all_its_ink():
    top_heavy = np.zeros((20, 20), dtype=np.float32)
    top_heavy[0, :] = 255  # all mass on the first row: centring it at 14 would push it out
    field = centre_by_mass(top_heavy)
    assert field.sum() == top_heavy.sum() and field[8].sum() == top_heavy.sum()  # as high as the field allows


@pytest.mark.parametrize("mode", ["L", "RGB", "P", "1", "I;16", "CMYK"])
def test_colour_modes_decode_alike(mode: str):
    expected = to_mnist(drawing())
    got = preprocess(encode(drawing(), mode, "JPEG" if mode == "CMYK" else "PNG"))
    assert np.abs(got - expected).max() < (0.25 if mode == "CMYK" else 1e-2)  # JPEG is lossy at the edges


def test_alpha_is_flattened_onto_white():
    ink = (drawing() == 0).astype(np.uint8) * 255  # opaque where drawn, transparent elsewhere
    rgba = np.zeros((*ink.shape, 4), dtype=np.uint8)
    rgba[..., 3] = ink  # black ink, transparent paper: a cleared canvas exported as PNG
    buffer = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buffer, format="PNG")
    assert np.abs(preprocess(buffer.getvalue()) - to_mnist(drawing())).max() < 1e-2
    assert decode_image(buffer.getvalue())[0, 0] == 255.0  # transparent = white paper


def test_jpeg_photos_decode():
    assert preprocess(encode(drawing(), "RGB", "JPEG")).shape == (28, 28)


@pytest.mark.parametrize("data", [b"", b"hello, not an image", b"GIF89a" + b"\0" * 40])
def test_not_a_png_or_jpeg_is_unreadable(data: bytes):
    with pytest.raises(UnreadableImage, match="not a PNG or JPEG"):
        decode_image(data)


def test_a_truncated_png_is_unreadable():
    data = encode(drawing())
    with pytest.raises(UnreadableImage, match="damaged"):
        decode_image(data[: len(data) // 2])


def test_too_many_pixels_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(_decode, "MAX_PIXELS", 100 * 100)
    with pytest.raises(ImageTooLarge, match="101x100 pixels"):
        decode_image(encode(np.zeros((100, 101))))


def test_centre_of_mass_weighs_ink_by_its_value():
    image = np.zeros((6, 8), dtype=np.float32)
    image[1, 2], image[4, 6] = 1.0, 3.0  # three times the ink at (4, 6)
    assert centre_of_mass(image) == pytest.approx((3.25, 5.0))
