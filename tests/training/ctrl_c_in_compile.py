"""``python ctrl_c_in_compile.py ARGS``: the ``fitbench ARGS`` command, with Ctrl-C pressed twice
while XLA's worker threads generate machine code (Linux: it reads their CPU time in /proc).

That is when a user's Ctrl-C crashed the command's exit (issue 19.6): the interrupted compile
returns at once, its code generation runs on in XLA's threads, and an exit through the
interpreter's teardown runs C++ static destructors under them (SIGSEGV, or "pure virtual method
called" and abort). fitbench's own first compile outlives the Ctrl-C on about a third of tries
on a loaded machine; a larger compile started beside it, when fitbench starts compiling, keeps
XLA's threads busy through the exit on every try.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import fitbench  # noqa: F401  # its XLA settings, before JAX starts XLA
import jax
import jax.numpy as jnp
from jax._src import compiler

SENT = "ctrl_c_in_compile: Ctrl-C pressed while XLA generated code"
_compile = compiler.backend_compile_and_load
_pressing = threading.Event()


def _layers(state: jax.Array, _: None) -> tuple[jax.Array, None]:
    for k in range(120):  # 120 unfused matmuls: seconds of code generation
        state = jnp.tanh(state @ state.T * 1e-3 + k)
    return state, None


def _large_program() -> Any:
    """A program lowered, ready to compile: its code generation takes seconds."""
    return jax.jit(lambda state: jax.lax.scan(_layers, state, None, length=2)[0]).lower(
        jax.ShapeDtypeStruct((64, 64), jnp.float32))


def _worker_ticks() -> int:
    """CPU clock ticks used so far by every thread of this process but the main one."""
    total = 0
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        if task.name != str(os.getpid()):
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()  # after the thread's name
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


def _press_ctrl_c_while_generating(large: Any) -> None:
    start = _worker_ticks()
    threading.Thread(target=large.compile, daemon=True).start()
    while _worker_ticks() - start < 10:  # about 100 ms of code generation under way
        time.sleep(0.005)
    print(SENT, file=sys.stderr, flush=True)  # first: the process may be gone right after
    os.kill(os.getpid(), signal.SIGINT)  # in training, fitbench stops after the epoch...
    time.sleep(0.05)
    os.kill(os.getpid(), signal.SIGINT)  # ...and at once on a second Ctrl-C


def _compile_with_ctrl_c(large: Any) -> Any:
    def compile_(*args: Any, **kwargs: Any) -> Any:
        if not _pressing.is_set():  # fitbench's first compile
            _pressing.set()
            threading.Thread(target=_press_ctrl_c_while_generating, args=(large,), daemon=True).start()
        return _compile(*args, **kwargs)
    return compile_


if __name__ == "__main__":
    compiler.backend_compile_and_load = _compile_with_ctrl_c(_large_program())
    sys.argv = ["fitbench", *sys.argv[1:]]
    from fitbench.cli import run

    run()
