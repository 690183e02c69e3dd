"""Stand-ins and apps answering on a loopback port from a daemon thread, for tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from socketserver import BaseServer
from typing import Any

from werkzeug.serving import make_server


def serve(target: Any) -> Any:
    """``target`` (a WSGI app, or a server already bound) answering from a daemon thread;
    the server (``server_port``; ``shutdown()`` when done)."""
    server = target if isinstance(target, BaseServer) else make_server("127.0.0.1", 0, target, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def base_url(server: Any) -> str:
    return f"http://127.0.0.1:{server.server_port}"


@contextmanager
def served(target: Any) -> Iterator[str]:
    """:func:`serve` for the block: its base URL; shut down and closed after."""
    server = serve(target)
    try:
        yield base_url(server)
    finally:
        server.shutdown()
        server.server_close()
