"""Slow work kept off the server's event loop: a few threads at most, and every outcome kept.

A run folder is untrusted, so drawing its report or loading its model may be slow or may fail.
``Outcomes`` runs such jobs on a few threads and keeps what each made, a failure as much as a
page or a model, keyed by the files' identity: a folder that takes a minute to fail fails once,
not on every request. A key asked while its job runs joins that job; a new job while every thread
is busy is refused at once (``Busy``, 503), never queued behind the others, so requests waiting
for slow work hold no thread and the listing, the static files and the pages already drawn answer
as usual.

A thread cannot be killed, so each thread that draws hands the drawing to a process of its own
(``_drawers``), killed at the time limit. Loading a model must happen in the server's own process
(predictions use it there); its requests stop waiting at a time limit while the load goes on,
bounded by the file budgets of ``fitbench.runs``.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fitbench.errors import FitbenchError

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """How much slow work the server takes on at once, and for how long a request waits for it."""

    drawers: int = 2  # reports drawn at once (each a process, up to `draw_memory`)
    draw_s: float = 60.0  # the 62-class report draws in ~25 s on a laptop
    draw_memory: int = 2 * 1024**3  # address space of a drawing process (matplotlib alone maps ~0.5 GB)
    loaders: int = 2  # models loaded at once
    # A request stops waiting (the load goes on, and is kept). The first load imports Keras and
    # JAX and compiles: 25 s measured on a 2-core machine at load 10; waiting holds no thread.
    load_s: float = 60.0


class Busy(FitbenchError):
    """Every worker is busy with other slow work: answered 503 at once, not queued."""


class TooSlow(FitbenchError):
    """The work went past its time limit: answered 504."""


class Crashed(FitbenchError):
    """The work failed unexpectedly (a bug, or a process out of memory): answered 500, one line."""


class Outcomes(Generic[T]):
    """What slow jobs made, successes and failures alike, by key, at most ``size`` of them.

    Jobs of one ``family`` (the versions of one run, say) replace each other when one ends.
    Thread-safe: the lock guards the dictionaries only, never a job.
    """

    def __init__(self, size: int, workers: int, busy: str, family: Callable[[Any], Hashable] = lambda key: key) -> None:
        self.size, self.busy, self.family = size, busy, family
        self._done: OrderedDict[Hashable, Future[T]] = OrderedDict()
        self._running: dict[Hashable, Future[T]] = {}
        self._free = threading.Semaphore(workers)
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="fitbench-web")
        self._lock = threading.Lock()

    def start(self, key: Hashable, job: Callable[[], T]) -> Future[T]:
        """The outcome of ``key``: kept, being made, or made now by ``job``; ``Busy`` if no thread is free."""
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]
            if key in self._running:
                return self._running[key]
            if not self._free.acquire(blocking=False):
                raise Busy(self.busy)
            future = self._running[key] = self._pool.submit(self._run, key, job)
        return future

    async def get(self, key: Hashable, job: Callable[[], T], limit_s: float | None = None, slow: str = "") -> T:
        """The outcome of ``key`` (``start``), waited for without holding a thread; ``TooSlow(slow)``
        after ``limit_s`` (the job goes on, and its outcome is kept)."""
        future = self.start(key, job)
        if future.done():
            return _result(future)
        waiting = asyncio.wrap_future(future)
        waiting.add_done_callback(lambda done: done.cancelled() or done.exception())  # retrieved: no warning
        try:
            await asyncio.wait_for(asyncio.shield(waiting), limit_s)  # shield: other requests wait on it too
        except TimeoutError:
            raise TooSlow(slow) from None
        return _result(future)

    def state(self, key: Hashable) -> str | None:
        """``running``, ``done``, ``failed``, or None (never started, or no longer kept); starts nothing."""
        with self._lock:
            if key in self._running:
                return "running"
            future = self._done.get(key)
        if future is None:
            return None
        return "failed" if future.exception() is not None else "done"

    def __len__(self) -> int:
        return len(self._done)

    def _run(self, key: Hashable, job: Callable[[], T]) -> T:
        try:
            return job()
        finally:  # before the future is set: whoever saw it done finds the thread free and the outcome kept
            self._free.release()
            with self._lock:  # `start` has recorded the future: it held the lock while submitting
                future = self._running.pop(key)
                family = self.family(key)
                for old in [kept for kept in self._done if self.family(kept) == family]:
                    del self._done[old]
                self._done[key] = future
                while len(self._done) > self.size:
                    self._done.popitem(last=False)


def _result(future: Future[T]) -> T:
    error = future.exception()
    if error is not None:
        raise copy.copy(error).with_traceback(None)  # a kept failure is raised afresh for every request
    return future.result()
