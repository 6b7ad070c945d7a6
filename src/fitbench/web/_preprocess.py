"""Turn any picture of a digit into what an MNIST model expects, the way MNIST was made.

MNIST's digits are white on black, cropped to the ink, scaled (anti-aliased) to fit a 20x20
box keeping their aspect ratio, and placed in a 28x28 field so that their centre of mass
sits at the centre. ``decode_image`` reads the bytes (Pillow), ``to_mnist`` does the rest on
a NumPy array, so each step is testable without files.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from fitbench.errors import DataError

if TYPE_CHECKING:
    from PIL import Image

SIDE = 28  # the field MNIST models take
BOX = 20  # MNIST's digits fit a 20x20 box inside it
CENTRE = SIDE / 2  # mean centre of mass of MNIST's test digits, measured: (14.01, 14.01)
MAX_PIXELS = 4096 * 4096  # bigger is a photo no one needs, or a decompression bomb
MAX_SIDE = 1024  # decoded images are reduced to this: a digit needs 20x20, a drawing is 280x280
# Uploads are decoded on two threads of their own, however many requests arrive: a 4096x4096
# RGBA PNG decodes to 64 MB before it is reduced, and glibc keeps freed memory in per-thread
# arenas, so 16 request threads decoding at once held 1.6 GB; two decoding threads hold ~0.3 GB
# (benchmarks/serve_latency.py measures it).
DECODERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fitbench-decode")
FORMATS = ("PNG", "JPEG")
MIN_CONTRAST = 24.0  # ink must differ from the paper by ~10% of 0..255, else it is noise
INK_LEVEL = 0.1  # pixels above 10% of the strongest ink count for the bounding box


class ImageProblem(DataError):
    """An upload that cannot become a digit; ``str()`` is the reason, one line."""


class UnreadableImage(ImageProblem):
    """Not a PNG/JPEG that Pillow can decode, or a damaged one."""


class ImageTooLarge(ImageProblem):
    """More pixels than ``MAX_PIXELS``."""


class NothingDrawn(ImageProblem):
    """A blank image: no ink stands out from the background."""


def decode_image(data: bytes) -> np.ndarray:
    """PNG/JPEG bytes as grayscale ``(height, width)`` float32 in 0..255; alpha flattened onto white.

    The pixel count is checked from the header before anything is decoded; the image is then
    reduced to at most ``MAX_SIDE`` pixels a side while decoding (JPEG: by its DCT scaling).
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)  # lazy: reads the header only
    except UnidentifiedImageError:
        raise UnreadableImage("not a PNG or JPEG image (Pillow cannot identify it); upload a .png or .jpg") from None
    except Image.DecompressionBombError as error:
        raise ImageTooLarge(f"the image has too many pixels ({error})") from None
    except (ValueError, OSError, SyntaxError, EOFError) as error:  # e.g. an oversized PNG text chunk
        raise UnreadableImage(f"the image is damaged and cannot be read ({_short(error)})") from None
    width, height, kind = *image.size, image.format
    if width * height > MAX_PIXELS:
        raise ImageTooLarge(f"the image is {width}x{height} pixels; at most {MAX_PIXELS:,} pixels "
                            "(e.g. 4096x4096) are accepted: scale it down")
    try:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0)
        return _grayscale(ImageOps.exif_transpose(image))  # phone photos: upright as the user saw them
    except Exception as error:  # Pillow raises OSError, ValueError, SyntaxError... for corrupt data
        raise UnreadableImage(f"the {kind} image is damaged and cannot be decoded ({_short(error)})") from None


def _short(error: BaseException) -> str:
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:160]


def _grayscale(image: Image.Image) -> np.ndarray:
    from PIL import Image

    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit or float scans: scale, do not clip
        values = np.asarray(image, dtype=np.float32)
        top = float(values.max()) if values.size else 0.0
        return values * (255.0 / 65535.0) if top > 255 else values
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        # A transparent canvas means "paper": put it on white before dropping alpha.
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, rgba)
    return np.asarray(image.convert("L"), dtype=np.float32)


def to_mnist(gray: np.ndarray) -> np.ndarray:
    """A grayscale image (any size, either polarity) as an MNIST digit: ``(28, 28)`` float32 in 0..1.

    Raises:
        NothingDrawn: no ink stands out from the background.
    """
    ink = white_on_black(np.asarray(gray, dtype=np.float32))
    digit = fit_in_box(crop_to_ink(ink))
    return centre_by_mass(digit) / 255.0


def white_on_black(gray: np.ndarray) -> np.ndarray:
    """Ink as bright values over a zero background, stretched so the strongest ink is 255.

    The border decides the polarity: it is mostly paper, whether the paper is light (a
    drawing, a scan) or dark (MNIST itself).
    """
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) > 127.5:
        gray = 255.0 - gray
        border = 255.0 - border
    ink = np.clip(gray - np.median(border), 0.0, None)  # grey paper or a lit photo becomes 0
    peak = float(ink.max())
    if peak < MIN_CONTRAST:
        raise NothingDrawn("nothing drawn: the image is blank (no ink stands out from the background)")
    return ink * (255.0 / peak)


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
    top = int(np.clip(round(CENTRE - cy), 0, side - height))
    left = int(np.clip(round(CENTRE - cx), 0, side - width))
    field = np.zeros((side, side), dtype=np.float32)
    field[top:top + height, left:left + width] = digit
    return field


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the ink's centre of mass, ink weighing its value (the image holds some ink)."""
    total = float(image.sum())
    rows = image.sum(axis=1) @ np.arange(image.shape[0]) / total
    columns = image.sum(axis=0) @ np.arange(image.shape[1]) / total
    return float(rows), float(columns)


def preprocess(data: bytes) -> np.ndarray:
    """Image bytes -> ``(28, 28)`` float32 in 0..1, white digit on black, as MNIST (on a decoding thread)."""
    return DECODERS.submit(lambda: to_mnist(decode_image(data))).result()
