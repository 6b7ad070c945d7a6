"""Connections that send their request slowly, or never, are closed: the server uvicorn runs.

uvicorn closes a kept-alive connection after ``timeout_keep_alive`` only once a response went
out, and cancels that timer on any byte received: a connection that sends nothing, or its
request head a byte at a time, stays open forever (slowloris), and 1,000 of them hold 1,000
sockets of a server listening on ``--host 0.0.0.0``. uvicorn has no option for it, and an ASGI
middleware runs only once the head is in, so the guard sits in the HTTP protocol (h11's, which
also caps a head at ``HEAD_BYTES``):

- a request head must arrive within ``HEAD_S`` of the connection opening or of the previous
  answer, and its body within ``BODY_S`` of the head; past that the connection is closed;
- at most ``WAITING`` connections wait for a request head at once; one more closes the oldest;
- uvicorn's own answer to a malformed or oversized head (400) carries the security headers too.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from fitbench.web._security import HEADERS

HEAD_S = 10.0  # a browser sends its head at once; slowloris sends it a byte every few seconds
BODY_S = 30.0  # the largest upload (2 MB) at 0.5 Mbit/s
KEEP_ALIVE_S = 5  # uvicorn's default: an idle kept-alive connection is closed after it
WAITING = 64  # a classroom's browsers keep ~6 idle connections each to a page they have open
HEAD_BYTES = 16 * 1024  # h11's default; a head over it is answered 400
GRACE_S = 5  # on Ctrl-C, requests still waiting (on a drawing, say) are cut off after it


def server_config(app: Any, *, head_s: float = HEAD_S, body_s: float = BODY_S,
                  waiting: int = WAITING) -> uvicorn.Config:
    """uvicorn's settings for ``app``, with the guarded protocol."""
    # log_config=None: leave the process's logging alone (warnings and errors still reach stderr);
    # uvicorn's dictConfig would close the handlers others installed, pytest's among them.
    return uvicorn.Config(app, http=guarded(head_s, body_s, waiting), timeout_keep_alive=KEEP_ALIVE_S,
                          h11_max_incomplete_event_size=HEAD_BYTES, timeout_graceful_shutdown=GRACE_S,
                          log_config=None, log_level="warning")


def guarded(head_s: float, body_s: float, waiting: int) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with read deadlines and a cap on connections waiting for a head
    (one class per server: the waiting ones are counted in it)."""

    class Guarded(H11Protocol):
        queue: OrderedDict[Guarded, None] = OrderedDict()  # waiting for a head, oldest first
        _phase: str | None = None  # "head", "body", or None while the app answers
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._follow()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._follow()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._follow()

        def connection_lost(self, exc: Exception | None) -> None:
            self._enter(None)
            super().connection_lost(exc)

        def send_400_response(self, msg: str) -> None:
            """uvicorn's answer to a request h11 cannot parse, with the security headers."""
            headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close"), *HEADERS]
            for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                          h11.Data(data=msg.encode("ascii")), h11.EndOfMessage()):
                self.transport.write(self.conn.send(event) or b"")
            self.transport.close()

        def _follow(self) -> None:
            """Arm the deadline of what the connection waits for now, if that changed."""
            cycle = self.cycle
            if self.transport.is_closing():
                phase = None
            elif cycle is None or cycle.response_complete:
                phase = "head"
            else:
                phase = "body" if cycle.more_body else None
            if phase != self._phase:
                self._enter(phase)

        def _enter(self, phase: str | None) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._phase, self._deadline = phase, None
            self.queue.pop(self, None)
            if phase is not None:
                self._deadline = self.loop.call_later(head_s if phase == "head" else body_s, self._expire)
            if phase == "head":
                self.queue[self] = None
                if len(self.queue) > waiting:
                    next(iter(self.queue))._expire()

        def _expire(self) -> None:
            self._enter(None)
            self.transport.close()

    return Guarded
