"""Image files and uploads as pixel arrays, whatever their mode: the one decoder of every
prediction path (``fitbench predict``, ``run.predict``, the web page).

The pixel count is checked from the header before anything is decoded, and the image is
reduced to at most ``MAX_SIDE`` pixels a side while decoding (JPEG: by its DCT scaling).
16-bit and float scans are scaled, not clipped; transparency is paper (white); a phone
photo is turned upright as its EXIF says.
"""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING

import numpy as np

from fitbench.errors import DataError

if TYPE_CHECKING:
    from PIL import Image

MAX_PIXELS = 4096 * 4096  # bigger is a photo no one needs, or a decompression bomb
MAX_SIDE = 1024  # decoded images are reduced to this: a digit needs 20x20, a drawing is 280x280
FILE_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF")
_SNIFFED = 512  # bytes read to tell text from an image of another kind
WIDE_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")  # 16- and 32-bit grayscale


class ImageProblem(DataError):
    """An image that cannot be read or prepared; ``str()`` is the reason, one line."""


class UnreadableImage(ImageProblem):
    """Not an image Pillow can decode in the allowed formats, or a damaged one."""


class ImageTooLarge(ImageProblem):
    """More pixels than ``MAX_PIXELS``."""


def decode_image(source: bytes | str | os.PathLike[str], formats: tuple[str, ...] = FILE_FORMATS) -> np.ndarray:
    """The image as float32 in 0..255: ``(h, w)`` when its pixels are grey, else ``(h, w, 3)``.

    Raises:
        UnreadableImage: not an image in ``formats``, or damaged.
        ImageTooLarge: more than ``MAX_PIXELS`` pixels.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source, formats=formats)
    except UnidentifiedImageError:
        raise UnreadableImage(_unidentified(source, formats)) from None
    except Image.DecompressionBombError as error:
        raise ImageTooLarge(f"the image has too many pixels ({error})") from None
    except (ValueError, OSError, SyntaxError, EOFError) as error:  # e.g. an oversized PNG text chunk
        raise UnreadableImage(f"the image is damaged and cannot be read ({_short(error)})") from None
    with image:
        width, height, kind = *image.size, image.format
        if width * height > MAX_PIXELS:
            raise ImageTooLarge(f"the image is {width}x{height} pixels; at most {MAX_PIXELS:,} pixels "
                                "(e.g. 4096x4096) are accepted: scale it down")
        try:
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0)
            return _pixels(ImageOps.exif_transpose(image))
        except Exception as error:  # Pillow raises OSError, ValueError, SyntaxError... for corrupt data
            raise UnreadableImage(f"the {kind} image is damaged and cannot be decoded ({_short(error)})") from None


def _unidentified(source: bytes | str | os.PathLike[str], formats: tuple[str, ...]) -> str:
    """Why Pillow found no image in ``source``: an empty file, text (a file named .jpg that is
    not one), or bytes of another kind."""
    kinds = " or ".join([", ".join(formats[:-1]), formats[-1]] if len(formats) > 1 else formats)
    if not isinstance(source, bytes):
        if os.path.getsize(source) == 0:
            return "empty file"
        with open(source, "rb") as file:
            source = file.read(_SNIFFED)
    if _is_text(source[:_SNIFFED]):
        return f"not an image (its bytes are text, not a {kinds} image)"
    return f"not a {kinds} image (Pillow cannot identify it)"


def _is_text(head: bytes) -> bool:
    """Whether ``head``, a file's first bytes, reads as UTF-8 text (a character cut at the end allowed)."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # not a multi-byte character cut by the sniffed length
            return False
        text = head[:error.start].decode("utf-8")
    return bool(text) and all(char.isprintable() or char in "\t\n\r\f" for char in text)


def _short(error: BaseException) -> str:
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:160]


def _pixels(image: Image.Image) -> np.ndarray:
    from PIL import Image

    if image.mode in WIDE_MODES:  # 16-bit or float scans: scale, do not clip
        values = np.asarray(image, dtype=np.float32)
        top = float(values.max()) if values.size else 0.0
        return values * np.float32(255.0 / 65535.0) if top > 255 else values
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        # A transparent canvas means "paper": put it on white before dropping alpha.
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    if image.mode in ("1", "L"):
        return np.asarray(image.convert("L"), dtype=np.float32)
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    grey = (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()  # a palette of greys
    return rgb[..., 0].copy() if grey else rgb
