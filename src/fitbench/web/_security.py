"""What every response carries, and which requests are refused before the app sees them.

The page is local, but any other page in the user's browser can send it requests, and a DNS
name rebound to 127.0.0.1 can read its answers: the ``Host`` allow-list (Starlette's
``TrustedHostMiddleware``, loopback names unless ``--allow-host`` adds one) stops the second,
and a POST whose ``Origin`` is another site is refused (403).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
# Pages use their own scripts and styles; reports inline their styles and figures (data: URIs).
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
          "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
           (b"content-security-policy", POLICY.encode()), (b"referrer-policy", b"same-origin")]


class Guard:
    """ASGI middleware: security headers on every response; cross-site POSTs refused."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *[h for h in HEADERS if h[0] not in names]]
            await send(message)

        if scope["method"] == "POST" and not same_origin(dict(scope["headers"])):
            await _refuse(send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


def same_origin(headers: dict[bytes, bytes]) -> bool:
    """No ``Origin`` (not a browser's cross-site request), or one naming this very host and port."""
    origin = headers.get(b"origin")
    if origin is None:
        return True
    return urlsplit(origin.decode("latin-1")).netloc.lower() == headers.get(b"host", b"").decode("latin-1").lower()


async def _refuse(send: Any) -> None:
    payload = json.dumps({"detail": "a request from another site: open this page itself to use it"}).encode()
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
