"""``--workers N``: this process and N-1 more on this machine, all sharing the storage.

The others are fresh interpreters (no JAX state copied from this one) with single-threaded
XLA: small-batch training is overhead-bound, and two single-threaded processes beat one
process with two threads on two cores. This process works too, so no core waits on a
process that only waits.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict, replace
from pathlib import Path

from fitbench._keras import SINGLE_THREAD_XLA
from fitbench._log import log, to_console
from fitbench.errors import FitbenchError
from fitbench.tuning._storage import storage_errors
from fitbench.tuning._worker import WorkerSpec, run_worker



def run_processes(spec: WorkerSpec, workers: int) -> list[str]:
    """Run worker 1 here and workers 2..N as processes, to the end; notes about killed ones.

    With one worker everything runs in this process: no start-up cost, works anywhere.
    """
    others = [start_worker(replace(spec, index=index, workers=workers)) for index in range(1, workers)]
    try:
        run_worker(replace(spec, index=0, workers=workers))
    except KeyboardInterrupt:
        # A terminal's Ctrl-C reached them too, a `kill -INT` of this process did not: SIGTERM
        # ends their training after the batch, as Ctrl-C does, and marks their trials failed.
        for process in others:
            process.send_signal(signal.SIGTERM)
        raise
    finally:
        for process in others:
            process.wait()
    return _check_exits([process.returncode for process in others], first=2)


def start_worker(spec: WorkerSpec) -> subprocess.Popen:
    """A fresh ``python -c`` worker (like multiprocessing's 'spawn', without re-running the
    caller's main module: an unguarded script or a notebook works too)."""
    environment = {**os.environ, "XLA_FLAGS": single_threaded_xla_flags(os.environ.get("XLA_FLAGS"))}
    process = subprocess.Popen([sys.executable, "-c", _ENTRY], stdin=subprocess.PIPE, env=environment, text=True)
    if process.stdin is not None:
        process.stdin.write(json.dumps(asdict(spec)))
        process.stdin.close()
    return process


_ENTRY = "import json, sys; from fitbench.tuning._processes import WorkerSpec, worker_main; " \
         "worker_main(WorkerSpec(**json.load(sys.stdin)))"


def _check_exits(codes: list[int], *, first: int) -> list[str]:
    notes = []
    for index, code in enumerate(codes, start=first):
        if code == 0:
            continue
        if code < 0:
            # Killed from outside (kill -9, OOM killer): its trial is failed and retried by the others.
            notes.append(f"worker {index} was killed by {signal.Signals(-code).name}; "
                         "its trial was marked failed and retried")
            continue
        if code == 130:
            raise KeyboardInterrupt
        raise FitbenchError(f"worker {index} stopped with exit code {code} (its error is printed above); "
                            "finished trials are kept: run the same command again to continue")
    return notes


def worker_main(spec: WorkerSpec) -> None:
    """Entry point of a worker process: one-line errors, exit codes like the CLI's."""
    to_console()  # a process of its own: its notices and errors go to the terminal, like the CLI's
    try:
        use_one_xla_thread()
        with storage_errors(spec.storage):
            run_worker(spec)
        gc.freeze()  # exiting: spare the interpreter's last collection of Keras' objects (0.8 s)
    except FitbenchError as error:
        log.error(f"error (worker {spec.index + 1}): {error}")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


def single_threaded_xla_flags(previous: str | None) -> str:
    """``XLA_FLAGS`` for a worker: the user's own, plus single-threaded XLA unless they chose."""
    if "xla_cpu_multi_thread_eigen" in (previous or ""):
        return previous or ""
    return f"{previous or ''} {SINGLE_THREAD_XLA}".strip()


def use_one_xla_thread() -> None:
    """Start JAX's CPU client with one thread in its pool, then let every thread use any core.

    XLA sizes its pool by the cores the process may run on. Measured on 2 cores: with a pool
    of two, a compiled epoch takes as long as with one but burns 1.6x its wall time in CPU, and
    with one worker per core that spare thread slows the other worker. So the client starts
    while this process may use one core, and the limit is lifted right after (no pinning).
    """
    if not hasattr(os, "sched_setaffinity"):  # Linux only; elsewhere XLA keeps its default pool
        return
    import jax
    from jax._src import xla_bridge

    if xla_bridge.backends_are_initialized():
        return  # too late: the pool exists
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(allowed)})
    try:
        jax.devices()  # creates the CPU client and its thread pool
    finally:
        for task in Path("/proc/self/task").iterdir():  # threads started meanwhile inherited the limit
            with contextlib.suppress(OSError):
                os.sched_setaffinity(int(task.name), allowed)
