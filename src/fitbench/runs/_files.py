"""Opening a run folder's files and finding run folders, as untrusted input.

A file is opened with ``O_NOFOLLOW`` (a symlinked file is damage, never a redirect) and
``O_NONBLOCK`` (a FIFO planted in a folder does not hang the reader), and must be a regular
file under its size limit. Folders are found without entering a symlinked or hidden folder,
to a bounded depth, so a link to ``/`` in the runs directory is skipped, not walked.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from fitbench.errors import FitbenchError
from fitbench.runs._record import CONFIG

MAX_DEPTH = 4  # runs/<run>, runs/curriculum/<run>, runs/<study>/trials/<run>


class DamagedFile(FitbenchError):
    """A run folder's file is missing, too large or damaged; the message is one line naming it."""


def first_line(error: BaseException) -> str:
    """An error's first line as printable ASCII, at most 160 characters, for a one-line damage
    message (an archive's member names and errors come from the folder)."""
    text = str(error).strip()
    return ascii(text.splitlines()[0] if text else type(error).__name__)[1:-1][:160]


# --- files ------------------------------------------------------------------------------------

def open_regular(path: Path, limit: int | None) -> BinaryIO:
    """``path`` opened for reading: FileNotFoundError when absent, DamagedFile for a symlink,
    a special file (FIFO, device), a file over ``limit`` bytes, or one that cannot be opened."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as error:
        if os.path.islink(path):  # ELOOP from O_NOFOLLOW
            raise DamagedFile(f"{path.name} is a symbolic link (not followed)") from None
        raise DamagedFile(f"{path.name} cannot be read ({error.strerror})") from None
    info = os.fstat(handle)
    if not stat.S_ISREG(info.st_mode):  # before fdopen, which raises IsADirectoryError for a folder
        os.close(handle)
        raise DamagedFile(f"{path.name} is not a regular file")
    file = os.fdopen(handle, "rb")
    if limit is not None and info.st_size > limit:
        file.close()
        raise DamagedFile(f"{path.name} is too large ({info.st_size / 1e6:.1f} MB; a run's is at most "
                          f"{limit / 1e6:.0f} MB)")
    return file


def read_file(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path``, None when it is missing; DamagedFile as ``open_regular`` says."""
    try:
        file = open_regular(path, limit)
    except FileNotFoundError:
        return None
    with file:
        data = file.read(limit + 1)  # a file growing while read is cut here
    if len(data) > limit:
        raise DamagedFile(f"{path.name} is too large (over {limit / 1e6:.0f} MB)")
    return data


def is_regular(path: Path | str) -> bool:
    """Whether ``path`` is a regular file itself (not a link to one)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def strangers(folder: Path) -> list[str]:
    """One line for each entry of ``folder`` that is a symlink or neither a file nor a folder:
    fitbench never writes such things, so their presence is damage (or an attack)."""
    found = []
    try:
        with os.scandir(folder) as scan:
            for entry in scan:
                if entry.is_symlink():
                    found.append(f"{entry.name} is a symbolic link (not followed)")
                elif not (entry.is_file(follow_symlinks=False) or entry.is_dir(follow_symlinks=False)):
                    found.append(f"{entry.name} is not a regular file")
    except OSError as error:
        found.append(f"the folder cannot be listed ({error.strerror})")
    return found


# --- folders ----------------------------------------------------------------------------------

def find_folders(root: Path) -> Iterator[os.DirEntry[str]]:
    """The run folders (those holding a ``config.yaml``) under ``root``, never through a symlink.

    Hidden folders are skipped, and a run folder's own subfolders (figures/): runs do not nest.
    """
    stack = [(str(root), 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as scan:
                entries = list(scan)
        except OSError:  # removed while we looked, or unreadable: nothing to list there
            continue
        for entry in entries:
            if entry.name.startswith(".") or not _is_real_dir(entry):
                continue
            if holds_config(entry.path):
                yield entry
            elif depth + 1 < MAX_DEPTH:
                stack.append((entry.path, depth + 1))


def _is_real_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def holds_config(folder: Path | str) -> bool:
    """Whether ``folder`` has a ``config.yaml`` entry (a symlinked one still marks a damaged run)."""
    try:
        os.lstat(os.path.join(folder, CONFIG))
    except OSError:
        return False
    return True


def folder_under(root: Path, relative: str, *, marker: str = CONFIG) -> Path | None:
    """``root/relative`` when it is a run folder (one holding ``marker``: an audit's folder holds
    ``label_issues.json``) really under ``root`` (no symlink, no ``..``, no hidden part on the
    way), else None."""
    if not relative or "\\" in relative or "\0" in relative or relative.startswith("/"):
        return None
    parts = relative.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts) or len(parts) > MAX_DEPTH:
        return None
    path = root.joinpath(*parts)
    if os.path.realpath(path) != str(path) or not path.is_dir() or not os.path.lexists(path / marker):
        return None  # realpath differs: a symlink on the way
    return path
