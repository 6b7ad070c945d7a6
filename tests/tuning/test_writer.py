"""A worker's writer thread: trial folders' last writes run in order, off the trial's thread,
and ``close`` waits for every one; a write that fails is logged, not lost silently."""

from __future__ import annotations

import logging
import threading

import pytest

from fitbench.tuning._writer import FolderWriter


def test_writes_run_in_order_on_another_thread_and_close_waits_for_them():
    done: list[tuple[int, str]] = []
    writer = FolderWriter()
    for number in range(10):  # more than PENDING: the caller waits for room instead of queueing all
        writer(lambda number=number: done.append((number, threading.current_thread().name)))
    writer.close()
    assert [number for number, _ in done] == list(range(10))
    assert all(name != threading.current_thread().name for _, name in done)


def test_a_failed_write_is_logged_and_the_next_ones_still_run(caplog: pytest.LogCaptureFixture):
    done = []
    writer = FolderWriter()

    def fail() -> None:
        raise OSError("No space left on device")

    with caplog.at_level(logging.WARNING):
        writer(fail)
        writer(lambda: done.append("next"))
        writer.close()
    assert done == ["next"]
    assert "a trial's run folder could not be finished: OSError: No space left on device" in caplog.text
