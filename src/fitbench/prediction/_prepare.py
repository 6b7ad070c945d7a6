"""A decoded image as the run's model expects it, following the run's ``Preparation``.

In order: the colour mode; the background (an image whose paper is the other polarity than
the training images' is inverted, and grey paper or a lit photo is levelled to the training
background); for digit runs, MNIST's own making of a digit (crop to the ink, scale its longer
side into a box, centre its mass); else a resize of the whole image (bilinear, as Keras
resizes); finally the run's pixel scale. Each step is a function of a NumPy array, so each is
testable without files.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from fitbench.prediction._decode import ImageProblem
from fitbench.runs._preparation import DARK, Preparation

SIDE, BOX = 28, 20  # MNIST's field, and the box its digits fit in
MIN_CONTRAST = 24.0  # ink must differ from the paper by ~10% of 0..255, else it is noise
GREY_PAPER = DARK * 255.0  # paper further than this from black or white is levelled (training calls it neither)
INK_LEVEL = 0.1  # pixels above 10% of the strongest ink count for the bounding box
INVERTED, LEVELLED = "inverted", "levelled"  # what ``prepare`` may change, as its notes say


class NothingDrawn(ImageProblem):
    """A blank image: no ink stands out from the background."""


class Prepared(NamedTuple):
    pixels: np.ndarray  # (h, w) or (h, w, 3) float32, in the run's scale (0..white)
    changes: tuple[str, ...]  # INVERTED, LEVELLED: how the input differed from the training images


def prepare(image: np.ndarray, preparation: Preparation) -> Prepared:
    """``image`` (``(h, w)`` or ``(h, w, 3)`` in 0..255, any size) prepared for the run's model.

    Raises:
        NothingDrawn: a digit run's input holds no ink.
    """
    image = to_color_mode(np.asarray(image, dtype=np.float32), preparation.color_mode)
    changes: tuple[str, ...] = ()
    if preparation.digit_box is not None:
        changes = changes_against(image, dark=True)
        digit = fit_in_box(crop_to_ink(white_on_black(image)), preparation.digit_box)
        image = centre_by_mass(digit, preparation.size[0])
    else:
        if preparation.color_mode == "grayscale" and preparation.background != "any":
            image, changes = match_background(image, dark=preparation.background == "dark")
        image = resize(image, preparation.size)
    # Clipped: resizing and the luma weights may round a hair outside 0..255.
    return Prepared(np.clip(image, 0.0, 255.0) * np.float32(preparation.white / 255.0), changes)


def to_color_mode(image: np.ndarray, color_mode: str) -> np.ndarray:
    if color_mode == "rgb":
        return image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=-1)
    # ITU-R 601-2 luma, as Pillow's convert("L")
    return image if image.ndim == 2 else image @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def border_level(gray: np.ndarray) -> float:
    """The median of the outer pixels: mostly paper, light (a drawing, a scan) or dark (MNIST)."""
    return float(np.median(np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])))


def match_background(gray: np.ndarray, *, dark: bool) -> tuple[np.ndarray, tuple[str, ...]]:
    """``gray`` with the training images' background, and what was changed: untouched when it
    already matches, else inverted and levelled (``white_on_black``) to the training polarity;
    a blank image becomes blank paper of that polarity."""
    changes = changes_against(gray, dark=dark)
    if not changes:
        return gray, changes
    try:
        ink = white_on_black(gray)
    except NothingDrawn:
        ink = np.zeros_like(gray)
    return (ink if dark else 255.0 - ink), changes


def white_on_black(gray: np.ndarray) -> np.ndarray:
    """Ink as bright values over a zero background, stretched so the strongest ink is 255.

    The border decides the polarity: it is mostly paper, whether the paper is light (a
    drawing, a scan) or dark (MNIST itself).

    Raises:
        NothingDrawn: no ink stands out from the background.
    """
    border = border_level(gray)
    if border > 127.5:
        gray, border = 255.0 - gray, 255.0 - border
    ink = np.clip(gray - border, 0.0, None)  # grey paper or a lit photo becomes 0
    peak = float(ink.max())
    if peak < MIN_CONTRAST:
        raise NothingDrawn("nothing drawn: the image is blank (no ink stands out from the background)")
    return ink * np.float32(255.0 / peak)


def changes_against(gray: np.ndarray, *, dark: bool) -> tuple[str, ...]:
    """How ``gray`` differs from training images with a ``dark`` (else light) background:
    INVERTED for the other polarity, LEVELLED for paper that is grey rather than black or white."""
    border = border_level(gray)
    inverted = (border > 127.5) == dark
    off = min(border, 255.0 - border)
    return ((INVERTED,) if inverted else ()) + ((LEVELLED,) if off > GREY_PAPER else ())


def crop_to_ink(ink: np.ndarray) -> np.ndarray:
    """The smallest rectangle holding every pixel above ``INK_LEVEL`` of the peak."""
    rows = np.flatnonzero((ink > INK_LEVEL * 255.0).any(axis=1))
    cols = np.flatnonzero((ink > INK_LEVEL * 255.0).any(axis=0))
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def fit_in_box(crop: np.ndarray, box: int = BOX) -> np.ndarray:
    """Scale so the longer side is ``box`` pixels, keeping the aspect ratio (Lanczos: anti-aliased)."""
    from PIL import Image

    height, width = crop.shape
    scale = box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # Pillow: (width, height)
    resized = Image.fromarray(crop.astype(np.float32)).resize(size, Image.Resampling.LANCZOS)  # mode "F"
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 255.0)  # Lanczos overshoots a little


def centre_by_mass(digit: np.ndarray, side: int = SIDE) -> np.ndarray:
    """``digit`` pasted into a ``side`` x ``side`` black field, its centre of mass at the centre.

    The offset is clipped so the whole digit stays inside (an off-centre mass, as in a "7",
    must not push ink out of the field).
    """
    height, width = digit.shape
    cy, cx = centre_of_mass(digit)
    top = int(np.clip(round(side / 2 - cy), 0, side - height))
    left = int(np.clip(round(side / 2 - cx), 0, side - width))
    field = np.zeros((side, side), dtype=np.float32)
    field[top:top + height, left:left + width] = digit
    return field


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the ink's centre of mass, ink weighing its value (the image holds some ink)."""
    total = float(image.sum())
    rows = image.sum(axis=1) @ np.arange(image.shape[0]) / total
    columns = image.sum(axis=0) @ np.arange(image.shape[1]) / total
    return float(rows), float(columns)


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` at ``size`` (height, width), bilinear as Keras resizes, each channel in float."""
    from PIL import Image

    if image.shape[:2] == size:
        return image
    channels = image[..., None] if image.ndim == 2 else image
    resized = [np.asarray(Image.fromarray(np.ascontiguousarray(channels[..., c])).resize(
        (size[1], size[0]), Image.Resampling.BILINEAR), dtype=np.float32) for c in range(channels.shape[-1])]
    return resized[0] if image.ndim == 2 else np.stack(resized, axis=-1)
