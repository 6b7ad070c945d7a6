"""How a new image is prepared for a run's model: ``preparation.json``, decided once from the
training images and used by every prediction path (``run.predict``, ``fitbench predict``, the web).

Digit-style centring (crop to the ink, scale its longer side into a box, centre by mass, as
MNIST was made) is *measured*, not guessed from the data set's name: the training images have a
dark background, their ink's mass sits at the centre, and a margin around them is empty. MNIST
passes (whether loaded as mnist, an IDX pair, a CSV file or a folder of PNGs); Fashion-MNIST,
whose clothes fill the frame, and scikit-learn's 8x8 digits, which touch their edges, do not.

Folders written before this file existed get their preparation from their config and the
model's input shape (``from_config``), as prediction did then.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from fitbench.errors import DataError

PREPARATION = "preparation.json"
SAMPLE = 1000  # training images measured: enough for a median, quick for 60,000
DARK, LIGHT = 0.25, 0.75  # a border median below/above this fraction of white is a dark/light background
AGREE = 0.9  # the share of images that must agree on their background
INK = 0.1  # pixels above this fraction of an image's peak are ink (MNIST's own threshold for its box)
MARGIN = 4 / 28  # MNIST's digits sit in a 20x20 box, 4 pixels from each edge of 28
EMPTY_MARGIN = 0.1  # at most this share of the ink's mass in the margin (MNIST: 0.03, Fashion-MNIST: 0.24)
CENTRED = 1.5  # pixels: the mean centre of mass is at most this far from the image's centre
RAW_WHITE = {"digits": 16.0}  # the raw pixel scale of a data set, where it is not 255
CENTRED_BY_NAME = ("mnist", "idx", "csv")  # old folders: the data sets that were MNIST's digits

Side = Annotated[int, Field(ge=1, le=4096)]


class Preparation(BaseModel):
    """What a new image becomes before the model reads it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: tuple[Side, Side] = Field(description="height, width of the model's images")
    color_mode: Literal["grayscale", "rgb"]
    white: float = Field(gt=0, le=65535, description="what a white pixel (255) becomes: 1 when the run "
                                                     "normalised its data, else the raw scale (255, digits' 16)")
    background: Literal["dark", "light", "any"] = Field(
        description="the training images' background: an input with the other one is inverted")
    digit_box: Side | None = Field(default=None, description="digit-style centring: the ink is cropped, its "
                                   "longer side scaled to this many pixels and centred by mass; None: resized whole")
    decided_by: Literal["training images", "config"] = "training images"

    @model_validator(mode="after")
    def _box_inside(self) -> Preparation:
        if self.digit_box is not None and (self.size[0] != self.size[1] or self.digit_box > self.size[0]):
            raise ValueError(f"digit_box {self.digit_box} must fit a square image; got size {self.size}")
        return self


def measure(images: np.ndarray, *, white: float) -> Preparation | None:
    """The preparation of a model trained on ``images`` (``(n, h, w)``, ``(n, h, w, 3)`` or flat
    square ``(n, h*w)``, in 0..``white``); None when they are not images."""
    shape = _image_shape(tuple(images.shape[1:]))
    if shape is None or len(images) == 0 or not white > 0:
        return None
    step = max(1, len(images) // SAMPLE)
    sample = np.asarray(images[::step][:SAMPLE], dtype=np.float32).reshape((-1, *shape)) / np.float32(white)
    color_mode: Literal["grayscale", "rgb"] = "rgb" if len(shape) == 3 else "grayscale"
    gray = sample.mean(axis=-1) if color_mode == "rgb" else sample
    background = _background(gray)
    box = _digit_box(gray) if background == "dark" and color_mode == "grayscale" else None
    return Preparation(size=(shape[0], shape[1]), color_mode=color_mode, white=float(white),
                       background=background, digit_box=box)


def from_config(config: Mapping[str, Any], input_shape: tuple[int | None, ...]) -> Preparation:
    """An older folder's preparation, from its config and its model's input shape: light-on-dark
    images for the data sets fitbench bundles, digit-style centring for MNIST's.

    Raises:
        DataError: the model's input is not an image.
    """
    shape = _image_shape(input_shape)
    if shape is None:
        raise DataError(f"the model takes inputs of shape {input_shape}, which are not images of a fixed size; "
                        "prepare them in Python and call run.predict(array)")
    section = config.get("dataset") or {}
    name = str(section.get("name"))
    white = 1.0 if section.get("normalize", True) else RAW_WHITE.get(name, 255.0)
    digits = name in CENTRED_BY_NAME and shape in ((28, 28), (28, 28, 1))
    return Preparation(size=(shape[0], shape[1]), color_mode="rgb" if len(shape) == 3 and shape[2] == 3 else "grayscale",
                       white=white, background="any" if name == "folder" else "dark",
                       digit_box=round(28 * (1 - 2 * MARGIN)) if digits else None, decided_by="config")


def fits(preparation: Preparation, input_shape: tuple[int | None, ...]) -> bool:
    """Whether the prepared images have the model's input size (a recorded file could lie)."""
    shape = _image_shape(input_shape)
    return shape is not None and (shape[0], shape[1]) == preparation.size and (
        (len(shape) == 3 and shape[2] == 3) == (preparation.color_mode == "rgb"))


def _image_shape(shape: tuple[int | None, ...]) -> tuple[int, ...] | None:
    """``(h, w)`` or ``(h, w, 3)`` of per-sample ``shape``: flat squares unfolded, a channel of 1 dropped."""
    if any(side is None or side < 1 for side in shape):
        return None
    sides = tuple(int(side or 0) for side in shape)
    if len(sides) == 1 and math.isqrt(sides[0]) ** 2 == sides[0]:
        return (math.isqrt(sides[0]),) * 2
    if len(sides) == 3 and sides[2] == 1:
        return sides[:2]
    return sides if len(sides) == 2 or (len(sides) == 3 and sides[2] == 3) else None


def _background(gray: np.ndarray) -> Literal["dark", "light", "any"]:
    border = np.concatenate([gray[:, 0], gray[:, -1], gray[:, :, 0], gray[:, :, -1]], axis=1)
    median = np.median(border, axis=1)  # (n,) one per image
    if np.mean(median < DARK) >= AGREE:
        return "dark"
    if np.mean(median > LIGHT) >= AGREE:
        return "light"
    return "any"


def _digit_box(gray: np.ndarray) -> int | None:
    """The box side when the images are digits centred MNIST's way; None otherwise."""
    n, height, width = gray.shape
    if height != width:
        return None  # MNIST's layout is a square field
    peak = gray.reshape(n, -1).max(axis=1)[:, None, None]
    ink = np.where(gray > INK * np.maximum(peak, 1e-6), gray, 0.0)  # (n, h, w)
    margin = max(1, round(MARGIN * min(height, width)))
    inner = ink[:, margin:-margin, margin:-margin].sum(axis=(1, 2))
    total = ink.sum(axis=(1, 2))
    drawn = total > 0
    if not drawn.any() or np.mean(1 - inner[drawn] / total[drawn]) > EMPTY_MARGIN:
        return None
    rows = (ink[drawn].sum(axis=2) @ np.arange(height)) / total[drawn]
    cols = (ink[drawn].sum(axis=1) @ np.arange(width)) / total[drawn]
    if abs(rows.mean() - height / 2) > CENTRED or abs(cols.mean() - width / 2) > CENTRED:
        return None
    rows_inked, cols_inked = ink[drawn].any(axis=2), ink[drawn].any(axis=1)
    sides = np.maximum(_extent(rows_inked), _extent(cols_inked))
    return int(np.median(sides))


def _extent(inked: np.ndarray) -> np.ndarray:
    """Per row of ``inked`` ``(n, k)``, the span from its first to its last True."""
    first = inked.argmax(axis=1)
    last = inked.shape[1] - 1 - inked[:, ::-1].argmax(axis=1)
    return last - first + 1


def read_preparation(folder: Path, config: Mapping[str, Any], input_shape: tuple[int | None, ...]) -> Preparation:
    """The run's recorded preparation, else the one its config implies (a folder from before the record).

    Raises:
        DataError: the record does not fit the model, or the model's input is not an image.
    """
    from fitbench.runs._read import parse

    if not os.path.lexists(folder / PREPARATION):
        return from_config(config, input_shape)
    preparation = parse(folder / PREPARATION, Preparation)  # DamagedFile: a one-line FitbenchError
    if not fits(preparation, input_shape):
        raise DataError(f"{folder / PREPARATION}: images of {preparation.size[0]}x{preparation.size[1]} "
                        f"{preparation.color_mode}, but the model takes {input_shape}; the folder is damaged")
    return preparation
