"""Live updates: one SSE connection per subscribed app, used as a doorbell.

An SSE `changes` event names a table; we do not apply its rows (SSE changes carry no `eventId`
for de-duplication, §2.5) but ask the engine to pull that collection, which goes through the
one tested path (pages, cursors, dedup). The poll timer stays on in any case: upstream's stream
is silent about writers that bypass the HTTP API (mana-ai), and `ai` is exactly those.

A stream that cannot be had (404/405: an older or different server) is given up for that app;
one that breaks is reconnected with full-jitter backoff. Connection trouble also pokes the
engine (`on_lost`), whose own probe decides whether we are offline and then stops the channel,
so offline means no requests but the probe.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence

from mana_desktop.sync.backoff import Backoff
from mana_desktop.sync.errors import (
    PaymentRequiredError,
    RejectedError,
    RetryableError,
    SignedOutError,
)
from mana_desktop.sync.protocol import SyncClient

log = logging.getLogger(__name__)

Key = tuple[str, str]


class LiveChannel:
    def __init__(self, client: SyncClient, subscriptions: Sequence[Key],
                 since: Callable[[str], str], *, on_changes: Callable[[Key], None],
                 on_lost: Callable[[], None], backoff_base: float = 5.0) -> None:
        self._client = client
        self._since = since
        self._on_changes = on_changes
        self._on_lost = on_lost
        self._backoff_base = backoff_base
        self._apps: dict[str, list[str]] = {}
        for app, collection in subscriptions:
            self._apps.setdefault(app, []).append(collection)
        self._tasks: list[asyncio.Task[None]] = []
        self.connected: set[str] = set()
        self.unavailable: set[str] = set()

    def start(self) -> None:
        for app, collections in self._apps.items():
            self._tasks.append(asyncio.create_task(self._run(app, collections),
                                                   name=f"sse-{app}"))

    def stop(self) -> list[asyncio.Task[None]]:
        """Cancel the streams; returns their tasks so a closing loop can await them."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        self.connected.clear()
        return tasks

    async def _run(self, app: str, collections: list[str]) -> None:
        backoff = Backoff(self._backoff_base)
        wanted = set(collections)
        while True:
            try:
                async for event in self._client.stream(app, collections, self._since(app)):
                    if app not in self.connected:
                        self.connected.add(app)
                        backoff.reset()
                    if event.event == "changes":
                        self._ring(app, event.data, wanted)
                # The server ended the stream (restart, proxy timeout): reconnect soon.
                self.connected.discard(app)
            except asyncio.CancelledError:
                raise
            except RejectedError as exc:
                log.info("no live stream for %s (%s); polling instead", app, exc.status)
                self.unavailable.add(app)
                return
            except (SignedOutError, PaymentRequiredError):
                self.connected.discard(app)
                self._on_lost()  # the engine's cycle meets the same error and changes state
                return
            except RetryableError:
                self.connected.discard(app)
                self._on_lost()
            await asyncio.sleep(backoff.next_delay())

    def _ring(self, app: str, data: str, wanted: set[str]) -> None:
        table = None
        with contextlib.suppress(ValueError):
            body = json.loads(data)
            if isinstance(body, dict):
                table = body.get("table")
                if table is None and isinstance(body.get("changes"), list) and body["changes"]:
                    first = body["changes"][0]
                    table = first.get("table") if isinstance(first, dict) else None
        if isinstance(table, str) and table in wanted:
            self._on_changes((app, table))
        elif table is None:  # unreadable event: pull all of this app's collections
            for collection in wanted:
                self._on_changes((app, collection))
