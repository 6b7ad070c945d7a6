"""One writer per run folder: an OS file lock held for the whole training.

``fcntl.flock`` on ``<folder>/.lock``: the kernel releases it when the process ends, however
it ends (SIGKILL, a crash, the machine's power), so a lock that is held means a live
process is writing the folder, and one that is free means nobody is, whatever pid or host
``status.json`` names (a copied folder, a reused pid).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from fitbench.errors import FitbenchError
from fitbench.runs._files import DamagedFile, open_regular

LOCK = ".lock"


class RunLock:
    """The held lock of one run folder; ``release()`` (or leaving ``with``) lets it go."""

    def __init__(self, folder: Path, descriptor: int) -> None:
        self.folder, self._descriptor = folder, descriptor

    def release(self) -> None:
        if self._descriptor >= 0:
            os.close(self._descriptor)  # closing the file releases the flock
            self._descriptor = -1

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()


def acquire(folder: Path) -> RunLock:
    """Lock ``folder`` for this process, or a one-line FitbenchError: another process holds
    it, or the folder cannot be written."""
    folder = Path(folder)
    try:
        # NOFOLLOW: a .lock linked elsewhere is refused, never created or locked at its target
        descriptor = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o666)
    except OSError as error:
        raise FitbenchError(f"{folder}: cannot write in this run folder ({error.strerror or error}); "
                            "copy it somewhere writable and resume the copy") from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise FitbenchError(f"{folder}: another process is training this run; wait for it to end "
                            "or stop it (Ctrl-C) first") from None
    return RunLock(folder, descriptor)


def is_locked(folder: Path) -> bool:
    """Whether a live process holds ``folder``'s lock (this one included). Never creates the file.

    Only a real file is asked: a FIFO or a link planted as ``.lock`` is nobody's lock (and
    opening a FIFO for its lock would hang)."""
    try:
        file = open_regular(Path(folder) / LOCK, None)
    except (OSError, DamagedFile):
        return False  # no lock file: nobody ever locked it, or the folder is gone
    with file:
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
    return False
