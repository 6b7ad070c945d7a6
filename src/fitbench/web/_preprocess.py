"""Uploads for the web page: decoded on two threads of their own, then prepared exactly as
``run.predict`` and ``fitbench predict`` prepare files (``fitbench.prediction``), as the run's
``preparation.json`` says: MNIST's digit-making for digit runs, the whole image resized for
the others. ``to_mnist`` is that preparation for an MNIST run, on an array.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from fitbench.prediction import ImageProblem, ImageTooLarge, NothingDrawn, UnreadableImage, prepare
from fitbench.prediction import decode_image as decode_file
from fitbench.prediction._prepare import (
    BOX,
    MIN_CONTRAST,
    SIDE,
    centre_by_mass,
    centre_of_mass,
    crop_to_ink,
    fit_in_box,
    to_color_mode,
    white_on_black,
)
from fitbench.runs._preparation import Preparation

__all__ = ["DECODERS", "FORMATS", "MNIST", "ImageProblem", "ImageTooLarge", "NothingDrawn", "UnreadableImage",
           "centre_by_mass", "centre_of_mass", "crop_to_ink", "decode_image", "fit_in_box", "preprocess", "to_mnist",
           "white_on_black"]

# Uploads are decoded on two threads of their own, however many requests arrive: a 4096x4096
# RGBA PNG decodes to 64 MB before it is reduced, and glibc keeps freed memory in per-thread
# arenas, so 16 request threads decoding at once held 1.6 GB; two decoding threads hold ~0.3 GB
# (benchmarks/serve_latency.py measures it).
DECODERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fitbench-decode")
FORMATS = ("PNG", "JPEG")
MNIST = Preparation(size=(SIDE, SIDE), color_mode="grayscale", white=1.0, background="dark", digit_box=BOX)


def decode_image(data: bytes) -> np.ndarray:
    """PNG/JPEG bytes as grayscale ``(height, width)`` float32 in 0..255; alpha flattened onto white."""
    return to_color_mode(decode_file(data, FORMATS), "grayscale")


def to_mnist(gray: np.ndarray) -> np.ndarray:
    """A grayscale image (any size, either polarity) as an MNIST digit: ``(28, 28)`` float32 in 0..1.

    Raises:
        NothingDrawn: no ink stands out from the background.
    """
    return prepare(gray, MNIST).pixels


def preprocess(data: bytes, preparation: Preparation = MNIST) -> np.ndarray:
    """Image bytes as the run's model takes them (``preparation``; an MNIST run's by default), on a
    decoding thread: ``(h, w)`` or ``(h, w, 3)`` float32 in the run's pixel scale.

    Raises:
        NothingDrawn: a blank canvas, whatever the run (a file of one colour still predicts in
            ``fitbench predict`` for a run that does not centre digits: only the page asks to draw).
    """
    return DECODERS.submit(lambda: prepare(_drawn(decode_file(data, FORMATS)), preparation).pixels).result()


def _drawn(image: np.ndarray) -> np.ndarray:
    if float(np.ptp(image)) < MIN_CONTRAST:
        raise NothingDrawn("nothing drawn: the image is blank (no ink stands out from the background)")
    return image
