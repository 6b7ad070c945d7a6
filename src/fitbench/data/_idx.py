"""Read and write IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic ``00 00 <dtype code> <ndim>``, then ``ndim`` big-endian
uint32 sizes, then the values in C order. Only unsigned bytes (code 0x08) are supported:
that is what every MNIST-like set uses. Files may be gzipped; gzip is recognised by its
magic bytes, not by the ``.gz`` extension, because renamed files are common.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import math
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Literal

import numpy as np

from fitbench import _io
from fitbench.data._open import open_data_file
from fitbench.errors import ConfigError, DataError

__all__ = ["read_idx", "read_idx_pair", "write_idx"]

Kind = Literal["images", "labels"]

_GZIP_MAGIC = b"\x1f\x8b"
MAX_BYTES = 2**32  # 4 GiB: five times EMNIST's largest file; a header promising more is not a real set
_CHUNK = 2**20
_EXTRA_SHOWN = 2**20 + 1  # trailing bytes counted up to 1 MiB, so a bomb's tail is not decompressed
_UBYTE = 0x08
_NDIM = {"images": 3, "labels": 1}
_TYPE_NAMES = {0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "int16", 0x0C: "int32",
               0x0D: "float32", 0x0E: "float64"}


def read_idx(path: str | os.PathLike[str], *, kind: Kind) -> np.ndarray:
    """Read an IDX file of uint8 images ``(n, h, w)`` or labels ``(n,)``.

    Only the bytes the header promises are read (at most ``MAX_BYTES``), so a file that
    decompresses to gigabytes costs no more memory than a true one.

    Raises:
        DataError: the file is missing, not IDX, of the wrong kind, truncated or too long;
            the message starts with the path and says what was expected.
    """
    if kind not in _NDIM:
        raise ConfigError(f"read_idx: kind must be 'images' or 'labels', got {kind!r}")
    with _open(path) as stream:
        head = _read_up_to(path, stream, 4)
        ndim = _check_magic(path, head, kind)
        head += _read_up_to(path, stream, 4 * ndim)
        dims = _read_dims(path, head, ndim)
        need = _check_promise(path, dims, kind)
        data = _read_up_to(path, stream, need)
        extra = len(_read_up_to(path, stream, _EXTRA_SHOWN))
    _check_size(path, len(data), extra, dims, kind)
    # a bytearray: the array owns writable memory, as in-place users expect
    return np.frombuffer(data, dtype=np.uint8).reshape(dims)


def read_idx_pair(
    images_path: str | os.PathLike[str], labels_path: str | os.PathLike[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Read matching images ``(n, h, w)`` and labels ``(n,)``; refuse differing counts."""
    images = read_idx(images_path, kind="images")
    labels = read_idx(labels_path, kind="labels")
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} holds {len(images):,} images but {labels_path} holds "
            f"{len(labels):,} labels; expected the same count (are both from the same set?)"
        )
    return images, labels


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write a uint8 array as IDX, gzipped when ``path`` ends in ``.gz``, atomically."""
    header = _header(array)
    target = Path(path)
    gz_name = target.name if target.name.endswith(".gz") else None

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            _write_payload(f, header, array, gz_name=gz_name)

    _io.atomic_write(target, write)


@contextlib.contextmanager
def _open(path: str | os.PathLike[str]) -> Iterator[io.BufferedIOBase]:
    """The file as a byte stream, decompressed when it starts with the gzip magic."""
    try:
        # a regular file only: a FIFO or a device a config names would hang or never end
        with open_data_file(path, MAX_BYTES, what="IDX file") as f:
            if f.read(2) != _GZIP_MAGIC:
                f.seek(0)
                yield f
                return
            f.seek(0)
            with gzip.GzipFile(fileobj=f) as gz:
                yield gz
    except OSError as exc:
        raise DataError(f"{path}: cannot read the IDX file: {exc.strerror or exc}") from exc


def _read_up_to(path: str | os.PathLike[str], stream: io.BufferedIOBase, size: int) -> bytearray:
    """At most ``size`` bytes, fewer at the end of the stream; read in chunks so that memory
    follows what the file really holds, not what its header claims."""
    data = bytearray()
    try:
        while len(data) < size:
            chunk = stream.read(min(_CHUNK, size - len(data)))
            if not chunk:
                break
            data += chunk
    except (gzip.BadGzipFile, zlib.error) as exc:  # BadGzipFile is an OSError: first
        raise DataError(f"{path}: not a valid gzip file ({exc}); download it again") from exc
    except EOFError as exc:
        raise DataError(f"{path}: gzip stream ends early (incomplete download?); "
                        "download it again") from exc
    except OSError as exc:
        raise DataError(f"{path}: cannot read the IDX file: {exc.strerror or exc}") from exc
    return data


def _check_promise(path: str | os.PathLike[str], dims: tuple[int, ...], kind: Kind) -> int:
    """The byte count the header promises; refused above ``MAX_BYTES`` before reading any."""
    need = math.prod(dims)  # Python ints: (2**32 - 1)**3 does not wrap around as int64 would
    if need > MAX_BYTES:
        raise DataError(f"{path}: the header promises {' x '.join(map(str, dims))} {kind} ({need:,} bytes), "
                        f"more than the {MAX_BYTES:,} bytes fitbench reads; is this an IDX file?")
    return need


def _check_magic(path: str | os.PathLike[str], raw: bytearray, kind: Kind) -> int:
    """Validate the 4-byte magic; return the number of dimensions."""
    want = _NDIM[kind]
    if len(raw) < 4:
        raise DataError(f"{path}: too short for an IDX header ({len(raw)} bytes, expected "
                        f"at least {4 + 4 * want}); download it again")
    if raw[:2] != b"\0\0":
        raise DataError(f"{path}: not an IDX file: it does not start with 00 00 08 {want:02x} (uint8 {kind})")
    if raw[2] != _UBYTE:
        name = _TYPE_NAMES.get(raw[2], "unknown")
        raise DataError(f"{path}: IDX data type code 0x{raw[2]:02x} ({name}) is not "
                        "supported; expected 0x08 (unsigned byte), as in MNIST")
    if raw[3] != want:
        other = "labels" if kind == "images" else "images"
        raise DataError(f"{path}: holds a {raw[3]}-D IDX array but {kind} files are "
                        f"{want}-D; is this the {other} file?")
    return raw[3]


def _read_dims(path: str | os.PathLike[str], raw: bytearray, ndim: int) -> tuple[int, ...]:
    """The ``ndim`` big-endian uint32 sizes that follow the magic."""
    end = 4 + 4 * ndim
    if len(raw) < end:
        raise DataError(f"{path}: too short for an IDX header ({len(raw)} bytes, expected "
                        f"at least {end}); download it again")
    return struct.unpack(f">{ndim}I", raw[4:end])


def _check_size(path: str | os.PathLike[str], have: int, extra: int, dims: tuple[int, ...],
                kind: Kind) -> None:
    """Refuse data shorter or longer than the header's sizes promise."""
    need = math.prod(dims)
    what = f"{dims[0]} {kind}" + (f" of {dims[1]}x{dims[2]}" if kind == "images" else "")
    if have < need:
        raise DataError(f"{path}: truncated: the header promises {what} ({need:,} bytes) "
                        f"but the file holds {have:,}; download it again")
    if extra:
        count = f"{extra:,}" if extra < _EXTRA_SHOWN else f"more than {_EXTRA_SHOWN - 1:,}"
        raise DataError(f"{path}: {count} unexpected bytes after the {what} the "
                        f"header promises ({need:,} bytes); download it again")


def _header(array: np.ndarray) -> bytes:
    """The IDX magic and sizes for a uint8 array; refuse what IDX cannot hold."""
    if array.dtype != np.uint8:
        raise DataError(f"write_idx: array dtype is {array.dtype}, expected uint8; "
                        "convert with array.astype(np.uint8) after checking its range")
    if not 1 <= array.ndim <= 255 or max(array.shape) >= 2**32:
        raise DataError(f"write_idx: array shape {array.shape} does not fit IDX "
                        "(1 to 255 dimensions, each below 2**32)")
    return struct.pack(f">BBBB{array.ndim}I", 0, 0, _UBYTE, array.ndim, *array.shape)


def _write_payload(f: IO[bytes], header: bytes, array: np.ndarray, *,
                   gz_name: str | None) -> None:
    """Write header and C-order data to ``f``, gzipped when ``gz_name`` is given."""
    data = np.ascontiguousarray(array).tobytes()
    if gz_name is None:
        f.write(header + data)
        return
    # filename and mtime fixed: the same array always gives the same bytes, and the
    # temp file's name does not leak into the gzip header
    with gzip.GzipFile(filename=gz_name, fileobj=f, mode="wb", mtime=0) as out:
        out.write(header + data)
