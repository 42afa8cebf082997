"""Who is listening: SSE streams and WebSocket connections, woken when a user's data changes.

Upstream's hub keeps a 32-slot channel per SSE subscriber and drops notifications beyond that;
here a subscriber keeps a set of pending (app, table) pairs instead, so a burst coalesces and
nothing is lost. `notify` may be called from any thread (pushes run in a worker pool and the
mission runner writes from its own task); the hub hands the work to its event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(eq=False)
class Subscriber:
    """One SSE stream or one authenticated WebSocket."""

    user_id: str
    app_id: str | None  # None: every app (the unified /ws)
    client_id: str = ""  # SSE: the X-Client-Id whose own pushes need no wake-up
    kind: str = "sse"  # "sse" | "ws"
    pending: dict[str, set[str]] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def take(self) -> dict[str, set[str]]:
        """The pending notifications, cleared."""
        pending, self.pending = self.pending, {}
        self.wake.clear()
        return pending


class Hub:
    def __init__(self) -> None:
        self._subscribers: set[Subscriber] = set()
        self._lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.closing = asyncio.Event()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Called once the server's event loop runs."""
        self.loop = loop

    def subscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers.add(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(subscriber)

    def notify(self, user_id: str, app_id: str, exclude_client: str, tables: Iterable[str]) -> None:
        """Wake the user's subscribers for `app_id`; thread-safe and non-blocking."""
        table_set = set(tables)
        if not table_set:
            return
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._dispatch(user_id, app_id, exclude_client, table_set)
        else:
            loop.call_soon_threadsafe(self._dispatch, user_id, app_id, exclude_client, table_set)

    def _dispatch(self, user_id: str, app_id: str, exclude_client: str, tables: set[str]) -> None:
        with self._lock:
            targets = [s for s in self._subscribers if s.user_id == user_id]
        for sub in targets:
            if sub.app_id is not None and sub.app_id != app_id:
                continue
            if sub.kind == "sse" and exclude_client and sub.client_id == exclude_client:
                continue  # its own push: the stream would find nothing new for it
            sub.pending.setdefault(app_id, set()).update(tables)
            sub.wake.set()

    def close(self) -> None:
        """Ask every stream to end (server shutdown); call on the event loop."""
        self.closing.set()
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            sub.wake.set()

    def ws_counts(self) -> tuple[int, int]:
        """(authenticated WebSocket connections, distinct users among them), as /health."""
        with self._lock:
            sockets = [s for s in self._subscribers if s.kind == "ws"]
        return len(sockets), len({s.user_id for s in sockets})
