"""A request-body limit for uploads, enforced before the multipart parser spools anything to disk."""

from __future__ import annotations

import json
from typing import Any

UPLOAD_LIMIT = 2 * 1024 * 1024  # 2 MB: a phone photo as JPEG; a canvas PNG is ~10 KB
MULTIPART_OVERHEAD = 16 * 1024  # boundaries and part headers around the file

Scope = dict[str, Any]
Message = dict[str, Any]


class BodyLimit:
    """ASGI middleware: POSTs to ``paths`` whose body exceeds ``limit`` bytes get 413 JSON.

    The body is read here (at most ``limit`` + 1 bytes) and replayed to the app, so a client
    that sends no Content-Length, or a false one, cannot push more through.
    """

    def __init__(self, app: Any, paths: tuple[str, ...], limit: int = UPLOAD_LIMIT + MULTIPART_OVERHEAD) -> None:
        self.app, self.paths, self.limit = app, paths, limit

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.limit:
            await _too_large(send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.limit:
                await _too_large(send)
                return
        pending = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay() -> Message:
            # The whole body once, then the real channel (which reports a disconnect).
            return pending.pop() if pending else await receive()

        await self.app(scope, replay, send)


async def _too_large(send: Any) -> None:
    detail = f"upload too large: at most {UPLOAD_LIMIT / 1024 / 1024:.0f} MB; send a smaller PNG or JPEG"
    payload = json.dumps({"detail": detail}).encode("utf-8")
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})
