"""Opening a data file a config names (a CSV, an IDX file): a regular file, under a size limit.

A config may come from a run folder (``fitbench train --resume``), so the path is untrusted: a
device (``/dev/zero``) or a FIFO would be read without end, or hang. The file is opened without
blocking, then checked on the open handle (no race between the check and the read). A symlink
is followed: a person's data set is often a link; the limit and the regular-file rule hold on
what it points to.
"""

from __future__ import annotations

import io
import os
import stat

from fitbench.errors import DataError

__all__ = ["open_data_file"]


def open_data_file(path: str | os.PathLike[str], limit: int, *, what: str) -> io.BufferedReader:
    """``path`` opened for reading; DataError (one line, naming no byte of the file) when it is
    missing, not a regular file, or over ``limit`` bytes. ``what``: the kind of file, in words."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise DataError(f"{path}: cannot read the {what} ({error.strerror})") from None
    info = os.fstat(handle)
    if not stat.S_ISREG(info.st_mode):
        os.close(handle)
        raise DataError(f"{path}: not a regular file; give the {what} itself (not a device, FIFO or folder)")
    if info.st_size > limit:
        os.close(handle)
        raise DataError(f"{path}: {info.st_size / 1e6:,.0f} MB is more than a {what} fitbench reads "
                        f"({limit / 1e6:,.0f} MB)")
    return os.fdopen(handle, "rb")
