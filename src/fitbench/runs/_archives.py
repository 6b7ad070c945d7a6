"""Zip archives from a run folder (``.npz`` files, ``model.keras``), read within their budget.

Python's zipfile parses an archive's whole central directory when it opens it, and inflates a
member up to the size the directory declares for it (never more). So the end record's entry
count and directory size are checked first, read here from the archive's last 64 kB; then
every member's declared size, and for an ``.npy`` member the shape and dtype of its header,
before one byte of its data is inflated. What a read allocates is then bounded by the budget
(``_budget``), whatever the archive claims.
"""

from __future__ import annotations

import math
import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO, NamedTuple

from fitbench.runs._budget import NpzBudget
from fitbench.runs._files import DamagedFile, first_line, open_regular

if TYPE_CHECKING:  # NumPy is imported when an .npz is read: model.keras checks (the listing) never pay for it
    import numpy as np

__all__ = ["ZIP_ERRORS", "Member", "check_npz", "end_record", "open_zip", "read_npz"]

# End of central directory: signature, disk numbers (2), entries here and in all, directory
# size, directory offset, comment length. Zip64: a locator before it points at a bigger record.
EOCD = struct.Struct("<4s4H2LH")
EOCD64_LOCATOR = struct.Struct("<4sLQL")
EOCD64 = struct.Struct("<4sQ2H2L4Q")
MAX_COMMENT = 65_535
DIRECTORY_ENTRY = 46 + 1024  # a central directory entry's fixed part, a long name and extras
METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # what NumPy and Keras write
MAX_HEADER = 10_000  # bytes of an .npy header (NumPy's own default limit)
# What reading a damaged archive raises: a bad directory or CRC, a cut-off member, bad deflate
# data (zlib.error), an encrypted member (RuntimeError), an unknown compression method.
ZIP_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError)


class Member(NamedTuple):
    """One array of an ``.npz``, as its ``.npy`` header declares it."""

    key: str  # the name np.load gives it (without ``.npy``)
    shape: tuple[int, ...]
    dtype: np.dtype
    nbytes: int  # what reading it allocates


def end_record(file: BinaryIO) -> tuple[int, int]:
    """The entry count and central directory size a zip archive declares, found as zipfile
    finds them (the last 22 bytes, else the last signature within a comment's reach)."""
    end = file.seek(0, os.SEEK_END)
    start = max(0, end - EOCD.size - MAX_COMMENT)
    file.seek(start)
    tail = file.read(end - start)
    at = len(tail) - EOCD.size
    if at < 0 or tail[at:at + 4] != b"PK\x05\x06" or tail[-2:] != b"\0\0":
        at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < EOCD.size:
        raise ValueError("not a zip archive: no end record (truncated?)")
    entries, size = EOCD.unpack_from(tail, at)[4:6]
    locator = at - EOCD64_LOCATOR.size
    if locator >= 0 and tail[locator:locator + 4] == b"PK\x06\x07":  # zip64: the counts are there
        offset = EOCD64_LOCATOR.unpack_from(tail, locator)[2]
        file.seek(offset)
        record = file.read(EOCD64.size)
        if len(record) < EOCD64.size or record[:4] != b"PK\x06\x06":
            raise ValueError("its zip64 end record is damaged")
        entries, size = EOCD64.unpack(record)[7:9]
    return entries, size


def open_zip(file: BinaryIO, name: str, members: int) -> zipfile.ZipFile:
    """``file`` as a zip archive of at most ``members`` entries, refused (DamagedFile) before
    zipfile reads a larger directory."""
    try:
        entries, size = end_record(file)
    except (OSError, ValueError, struct.error):
        raise DamagedFile(f"{name} is damaged (not a whole {Path(name).suffix} file; truncated?)") from None
    try:
        if entries > members or size > members * DIRECTORY_ENTRY:
            raise DamagedFile(f"{name} is damaged (its zip directory declares {entries:,} entries in {size:,} "
                              f"bytes; at most {members:,} entries)")
        file.seek(0)
        archive = zipfile.ZipFile(file)
    except ZIP_ERRORS as error:
        raise DamagedFile(f"{name} is damaged ({first_line(error)})") from None
    if len(archive.infolist()) > members:  # a directory of tiny entries, under the size bound
        archive.close()
        raise DamagedFile(f"{name} is damaged (over {members:,} entries)")
    if odd := next((info for info in archive.infolist() if info.compress_type not in METHODS), None):
        archive.close()  # LZMA's declared dictionary is allocated before one byte is read
        raise DamagedFile(f"{name} is damaged ({ascii(odd.filename[:80])} is compressed with method "
                          f"{odd.compress_type}; NumPy and Keras write stored or deflated entries)")
    return archive


def check_npz(archive: zipfile.ZipFile, name: str, budget: NpzBudget, kinds: str) -> list[Member]:
    """The arrays of an ``.npz``, from their headers alone; DamagedFile when a member is not an
    ``.npy``, holds a dtype kind not in ``kinds``, declares more than its stored size, or the
    members together declare more than ``budget.total`` bytes."""
    infos = archive.infolist()
    declared = sum(info.file_size for info in infos)
    if declared > budget.total:
        raise DamagedFile(f"{name} is too large (its arrays declare {declared / 1e6:,.0f} MB uncompressed; "
                          f"at most {budget.total / 1e6:,.0f} MB)")
    return [_member(archive, info, name, kinds) for info in infos]


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, kinds: str) -> Member:
    if not info.filename.endswith(".npy"):
        raise DamagedFile(f"{name} is damaged (member {ascii(info.filename[:80])} is not an array)")
    try:
        with archive.open(info) as stream:
            shape, dtype, offset = _header(stream)
    except Exception as error:  # zipfile's errors, and NumPy's header parser raises many kinds (tokenize's too)
        raise DamagedFile(f"{name} is damaged ({ascii(info.filename[:80])}: {first_line(error)})") from None
    key = info.filename.removesuffix(".npy")
    if dtype.hasobject or dtype.kind not in kinds or dtype.itemsize == 0:
        raise DamagedFile(f"{name} is damaged ({ascii(key[:80])} holds {dtype}, not numbers)")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > info.file_size - offset:  # zipfile inflates no more than file_size: a lie, or truncated
        raise DamagedFile(f"{name} is damaged ({ascii(key[:80])} declares shape {shape} of {dtype}, more than "
                          f"the {info.file_size:,} bytes it holds)")
    return Member(key, shape, dtype, nbytes)


def _header(stream: IO[bytes]) -> tuple[tuple[int, ...], np.dtype, int]:
    """An ``.npy`` header's shape and dtype, and where its data starts."""
    from numpy.lib import format as npy

    version = npy.read_magic(stream)
    if version == (1, 0):
        shape, _, dtype = npy.read_array_header_1_0(stream, max_header_size=MAX_HEADER)
    elif version == (2, 0):
        shape, _, dtype = npy.read_array_header_2_0(stream, max_header_size=MAX_HEADER)
    else:  # 3.0 (UTF-8 field names) is never written for plain arrays
        raise ValueError(f".npy format {version[0]}.{version[1]}")
    if any(side < 0 for side in shape):
        raise ValueError(f"negative shape {tuple(shape)}")
    return tuple(shape), dtype, stream.tell()


def read_npz(path: Path, budget: NpzBudget, kinds: str = "biuf") -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` at ``path`` (FileNotFoundError when absent), every one checked
    by ``check_npz`` before it is read; DamagedFile (one line naming the file) otherwise."""
    limit = budget.total + budget.members * DIRECTORY_ENTRY  # stored members add their headers
    with open_regular(path, limit) as file, open_zip(file, path.name, budget.members) as archive:
        members = check_npz(archive, path.name, budget, kinds)
        try:
            return {member.key: _read_member(archive, member) for member in members}
        except ZIP_ERRORS as error:
            raise DamagedFile(f"{path.name} is damaged ({first_line(error)})") from None


def _read_member(archive: zipfile.ZipFile, member: Member) -> np.ndarray:
    from numpy.lib import format as npy

    with archive.open(f"{member.key}.npy") as stream:
        return npy.read_array(stream, allow_pickle=False, max_header_size=MAX_HEADER)

