"""Running the ASGI app with uvicorn on a socket we bind ourselves.

Binding first lets `serve --port 0` print the real port before serving, and lets tests know
the URL without polling. Shutdown first ends SSE streams and WebSockets (they would otherwise
hold uvicorn's graceful shutdown open), and a signal ends the process with status 0.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Generator
from types import FrameType

import uvicorn

from mana_desktop.server.app import build_app
from mana_desktop.server.service import SyncService

GRACEFUL_TIMEOUT_S = 5


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0 picks a free port). Raises OSError when taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when the
    # proto says TCP, and without it every response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(512)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def socket_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class ManaServer(uvicorn.Server):
    """uvicorn.Server that closes our streams on exit and does not re-raise the signal."""

    def __init__(self, service: SyncService, *, log_level: str = "warning") -> None:
        self.app = build_app(service)
        config = uvicorn.Config(
            self.app,
            log_level=log_level,
            lifespan="on",
            timeout_graceful_shutdown=GRACEFUL_TIMEOUT_S,
            access_log=False,
        )
        super().__init__(config)
        self.service = service

    def request_exit(self) -> None:
        """Thread-safe: end streams and ask uvicorn to stop."""
        hub = self.service.hub
        if hub.loop is not None and not hub.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                hub.loop.call_soon_threadsafe(hub.close)
        self.should_exit = True

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.request_exit()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)
