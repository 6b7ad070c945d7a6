"""``fitbench serve``: the local web page (runs, reports, comparisons, draw a digit) on uvicorn."""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

from fitbench.errors import FitbenchError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("serve", help="a local web page: browse runs, compare, draw a digit for a model")
    parser.add_argument("--runs-dir", default="runs", help="where run folders are (default: runs)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=_port, default=8000, help="port (default: 8000; 0: any free one)")
    parser.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                        help="a host name the page may be reached by besides localhost (repeatable), "
                             "e.g. this machine's name when serving a classroom with --host 0.0.0.0")
    parser.set_defaults(command=run)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0..65535, got {text!r}")
    return int(text)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from fitbench.web import create_app, server_config

    runs_dir = Path(args.runs_dir)
    if args.host not in LOCAL_HOSTS:
        print(f"fitbench: warning: listening on {args.host}: anyone who can reach this machine can see your runs "
              "and use its CPU; the default 127.0.0.1 keeps the page to this machine", file=sys.stderr)
    if not runs_dir.is_dir():
        print(f"fitbench: warning: {runs_dir} does not exist yet; runs appear on the page once trained there",
              file=sys.stderr)
    listener = bind(args.host, args.port)
    host, port = listener.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"fitbench: serving {runs_dir} on http://{shown}:{port}/ (draw: /draw, API: /openapi.json); Ctrl-C stops")
    # Slow or silent connections are closed (read deadlines, a cap on those waiting): see server_config.
    server = uvicorn.Server(server_config(create_app(runs_dir, allow_hosts=args.allow_host)))
    server.run(sockets=[listener])  # returns on Ctrl-C, after finishing the requests in flight
    return 0


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, so that a taken port or an unknown host is one line, not uvicorn's traceback."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except OSError as error:  # socket.gaierror: an unknown host name
        raise FitbenchError(f"cannot listen on {host}:{port}: {error.strerror or error}; check --host") from None
    # proto from getaddrinfo (IPPROTO_TCP, not 0) matters: asyncio turns Nagle off only on TCP
    # sockets it recognises, and without that every answer waits ~40 ms for a delayed ACK.
    listener = socket.socket(family, kind, proto)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(128)
    except OSError as error:
        listener.close()
        raise FitbenchError(f"cannot listen on {host}:{port}: {error.strerror or error}; "
                            "choose another --port or --host") from None
    return listener
