"""Slow work kept off the server's event loop: a few threads, outcomes kept, drawings in a child process.

A run folder is untrusted, so drawing its report or loading its model may be slow or may fail.
``Outcomes`` runs such jobs on a few threads and keeps what each made, a failure as much as a
page or a model, keyed by the files' identity: a folder that takes a minute to fail fails once,
not on every request. A key asked while its job runs joins that job; a new job while every thread
is busy is refused at once (``Busy``, 503), never queued behind the others, so requests waiting
for slow work hold no thread and the listing, the static files and the pages already drawn answer
as usual.

A thread cannot be killed, so drawings run in a child process (``in_child``), forked from a
``forkserver`` that imported the report code once: killed at its time limit (``TooSlow``, 504),
capped in memory, at a lower CPU priority than the server. Loading a model must happen in the
server's own process (predictions use it there); its requests stop waiting at a time limit while
the load goes on, bounded by the file budgets of ``fitbench.runs``.
"""

from __future__ import annotations

import asyncio
import copy
import multiprocessing
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from fitbench.errors import FitbenchError

T = TypeVar("T")
# What the drawing processes import once, in the forkserver, instead of in every drawing.
PRELOAD = ["fitbench.report", "fitbench.web._reports", "matplotlib.figure", "matplotlib.backends.backend_agg"]
STARTUP_S = 60.0  # the forkserver's first start imports the report code (seconds on a busy machine)
NICE = 10  # a drawing yields the CPU to the server's own answers


@dataclass(frozen=True)
class Limits:
    """How much slow work the server takes on at once, and for how long a request waits for it."""

    drawers: int = 2  # reports drawn at once (each a process, up to `draw_memory`)
    draw_s: float = 60.0  # the 62-class report draws in ~25 s on a laptop
    draw_memory: int = 2 * 1024**3  # address space of a drawing process (matplotlib alone maps ~0.5 GB)
    loaders: int = 2  # models loaded at once
    load_s: float = 30.0  # a request stops waiting (the load goes on, and is kept)


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


def in_child(function: Callable[..., T], args: tuple[Any, ...], limit_s: float, memory: int, what: str) -> T:
    """``function(*args)`` (drawing ``what``) in a child process, killed after ``limit_s`` seconds of work.

    ``function`` and its arguments travel by pickle (a module-level function, plain values). Its
    ``FitbenchError`` comes back as one; any other exception, or the child's death, is ``Crashed``.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # read when the forkserver first starts
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sender, function, args, memory, what), daemon=True,
                            name="fitbench-draw")
    child.start()
    sender.close()
    try:
        if not receiver.poll(STARTUP_S):
            raise TooSlow(f"{what}: no drawing process started within {STARTUP_S:.0f} s; the machine is overloaded")
        receiver.recv()  # "started": the limit counts the work, not the process's start
        if not receiver.poll(limit_s):
            raise TooSlow(f"drawing {what} took over {limit_s:g} s and was stopped; draw it with `fitbench report` instead")
        kind, value = receiver.recv()
    except EOFError:  # killed by the kernel (memory), or a crash in C code
        raise Crashed(f"drawing {what}: the process died (exit code {child.exitcode}; out of memory?)") from None
    finally:
        receiver.close()
        child.join(timeout=1)
        if child.is_alive():
            child.kill()
            child.join()
    if kind == "problem":
        raise FitbenchError(value)
    if kind == "crash":
        raise Crashed(value)
    return value


def _child(sender: Connection, function: Callable[..., Any], args: tuple[Any, ...], memory: int, what: str) -> None:
    import resource

    os.nice(NICE)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    sender.send(("started", None))
    try:
        outcome: tuple[str, Any] = ("done", function(*args))
    except FitbenchError as error:
        outcome = ("problem", str(error))
    except MemoryError:
        outcome = ("crash", f"drawing {what} ran out of its {memory / 1024**3:g} GB of memory")
    except Exception as error:  # a bug, or damage the reader let through: one line, never a traceback
        text = str(error).strip()
        outcome = ("crash", f"drawing {what} failed: {type(error).__name__}: {text.splitlines()[0][:200] if text else ''}")
    sender.send(outcome)
    sender.close()
