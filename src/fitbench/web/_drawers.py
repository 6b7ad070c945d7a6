"""Processes that draw reports: killed at a time limit, capped in memory, reused while they behave.

Each is a fresh ``python -c`` interpreter (no state copied from the server, and, unlike
multiprocessing's spawn and forkserver, the caller's main module is not run again: an unguarded
script works too). It imports the report code once, lowers its CPU priority below the server's,
caps its address space, then runs the calls it is sent one at a time: a module-level function and
plain arguments, by pickle, over a socket pair. A call past its time limit, or one that crashed,
costs the process: it is killed and a fresh one starts for the next drawing.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from fitbench.errors import FitbenchError
from fitbench.web._isolation import Crashed, TooSlow

T = TypeVar("T")
IMPORTS = ("fitbench.report", "fitbench.web._reports", "matplotlib.figure", "matplotlib.backends.backend_agg")
STARTUP_S = 60.0  # importing the report code: seconds on a busy machine
NICE = 10  # a drawing yields the CPU to the server's own answers
_ENTRY = "import sys; from fitbench.web._drawers import serve; serve(int(sys.argv[1]), int(sys.argv[2]))"


class Drawers:
    """Drawing processes, one per call under way, kept idle between calls."""

    def __init__(self, memory: int) -> None:
        self.memory = memory
        self._idle: queue.SimpleQueue[_Drawer] = queue.SimpleQueue()
        self._alive: set[_Drawer] = set()
        self._lock = threading.Lock()  # guards `_alive`

    def call(self, function: Callable[..., T], args: tuple[Any, ...], limit_s: float, what: str) -> T:
        """``function(*args)`` (drawing ``what``) in a drawing process: its value, its ``FitbenchError``,
        ``TooSlow`` after ``limit_s`` seconds of work, ``Crashed`` for anything else."""
        drawer = self._take(what)
        try:
            kind, value = drawer.call(function, args, limit_s, what)
        except BaseException:  # past its time limit, or dead
            self._end(drawer)
            raise
        if kind == "crash":  # a bug or a MemoryError may have left it in any state: a fresh one next time
            self._end(drawer)
            raise Crashed(f"drawing {what} {value}")
        self._idle.put(drawer)
        if kind == "problem":
            raise FitbenchError(value)
        return value

    def _take(self, what: str) -> _Drawer:
        """An idle drawing process still alive, or a new one."""
        while True:
            try:
                drawer = self._idle.get_nowait()
            except queue.Empty:
                break
            if drawer.process.poll() is None:
                return drawer
            self._end(drawer)  # died while idle (the kernel's OOM killer, say)
        drawer = _Drawer(self.memory, what)
        with self._lock:
            self._alive.add(drawer)
        return drawer

    def close(self) -> None:
        """Kill every drawing process, idle or drawing (the server is stopping)."""
        with self._lock:
            alive = list(self._alive)
        for drawer in alive:
            self._end(drawer)

    def _end(self, drawer: _Drawer) -> None:
        drawer.kill()
        with self._lock:
            self._alive.discard(drawer)


class _Drawer:
    """One drawing process and the server's end of its socket."""

    def __init__(self, memory: int, what: str) -> None:
        here, there = Pipe()
        # The server's sys.path: a function it sends is found by the same import (tests send their own).
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
        self.process = subprocess.Popen([sys.executable, "-c", _ENTRY, str(there.fileno()), str(memory)],
                                        pass_fds=[there.fileno()], env=environment, stdin=subprocess.DEVNULL)
        there.close()
        self.connection = here
        try:
            if not here.poll(STARTUP_S):
                raise TooSlow(f"{what}: no drawing process started within {STARTUP_S:.0f} s; the machine is overloaded")
            here.recv()  # "ready"
        except EOFError:
            self.kill()
            raise Crashed(f"{what}: the drawing process did not start (exit code {self.process.returncode})") from None
        except BaseException:
            self.kill()
            raise

    def call(self, function: Callable[..., Any], args: tuple[Any, ...], limit_s: float, what: str) -> tuple[str, Any]:
        """What ``function(*args)`` came to: ("done", value), ("problem", message) or ("crash", message)."""
        self.connection.send((function, args))
        try:
            if not self.connection.poll(limit_s):
                raise TooSlow(f"drawing {what} took over {limit_s:g} s and was stopped; "
                              "draw it with `fitbench report` instead")
            kind, value = self.connection.recv()
        except EOFError:  # killed by the kernel (memory), or a crash in C code
            raise Crashed(f"drawing {what}: the process died (exit code {self.process.wait()}; "
                          "out of memory?)") from None
        return kind, value

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.connection.close()


# --- in the drawing process -------------------------------------------------------------------

def serve(handle: int, memory: int) -> None:
    """The drawing process: import, report ready, then run each call sent until the server hangs up."""
    import importlib
    import resource

    from fitbench._log import to_console

    to_console()  # a warning while drawing: the server's one-line `fitbench: warning: ...`, not Python's
    os.nice(NICE)
    _, ceiling = resource.getrlimit(resource.RLIMIT_AS)  # a server run under a cap of its own keeps it
    cap = memory if ceiling == resource.RLIM_INFINITY else min(memory, ceiling)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    connection = Connection(handle)
    for module in IMPORTS:
        importlib.import_module(module)
    connection.send("ready")
    while True:
        try:
            function, args = connection.recv()
        except EOFError:  # the server stopped
            return
        connection.send(_outcome(function, args, memory))


def _outcome(function: Callable[..., Any], args: tuple[Any, ...], memory: int) -> tuple[str, Any]:
    try:
        return "done", function(*args)
    except FitbenchError as error:
        return "problem", str(error)
    except MemoryError:
        return "crash", f"ran out of its {memory / 1024**3:g} GB of memory"
    except Exception as error:  # a bug, or damage the reader let through: one line, never a traceback
        text = str(error).strip()
        return "crash", f"failed: {type(error).__name__}: {text.splitlines()[0][:200] if text else ''}"
