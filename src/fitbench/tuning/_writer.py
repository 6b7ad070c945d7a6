"""A worker's writer thread: trial folders' last writes run there, so the next trial starts
while the last one's model and pictures are still being written."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from fitbench._log import log

PENDING = 4  # writes queued at most (about two trials): each holds a trained model until it runs


class FolderWriter:
    """``writer(write)`` queues ``write()`` on one thread, in order; ``close()`` waits for them all.

    A write that fails is logged: its folder keeps the state ``running`` and shows as stale
    once the worker is gone, as a killed run's would.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fitbench-folders")
        self._room = threading.BoundedSemaphore(PENDING)

    def __call__(self, write: Callable[[], None]) -> None:
        self._room.acquire()  # a slow disk slows the trials down instead of filling the memory
        self._pool.submit(self._run, write)

    def _run(self, write: Callable[[], None]) -> None:
        try:
            write()
        except Exception as error:  # noqa: BLE001  a thread's error reaches no caller: say it
            log.warning(f"a trial's run folder could not be finished: {type(error).__name__}: {error}")
        finally:
            self._room.release()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
