"""`GET /sync/{appId}/stream`: Server-Sent Events (`changes` and `heartbeat` events).

Differences from upstream, all in the client's favour and none in the event shape: headers
are sent at once (upstream sends nothing until the first event, §15.1); the initial phase
sends every page, not only the first; live events cover only the requested collections
(when any were named) and never drop a notification; the stream ends on server shutdown.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from mana_desktop.domain.wire import CLIENT_ID_HEADER, EPOCH_SINCE
from mana_desktop.server.hub import Subscriber
from mana_desktop.server.service import SyncService, parse_since
from mana_desktop.server.store import Page

HEARTBEAT = b"event: heartbeat\ndata: {}\n\n"


def _event(data: bytes) -> bytes:
    return b"event: changes\ndata: " + data + b"\n"


async def open_stream(
    service: SyncService, request: Request, user_id: str, app_id: str
) -> Response:
    raw = request.query_params.get("collections", "")
    collections = [name.strip() for name in raw.split(",") if name.strip()]
    since = parse_since(request.query_params.get("since") or EPOCH_SINCE)
    client_id = request.headers.get(CLIENT_ID_HEADER, "")
    subscriber = Subscriber(user_id, app_id, client_id, "sse")
    body = _events(service, subscriber, collections, since)
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        headers={
            "Cache-Control": "no-cache",
            "Connection": "keep-alive",
            "X-Accel-Buffering": "no",
        },
    )


async def _events(
    service: SyncService, sub: Subscriber, collections: list[str], since: int
) -> AsyncIterator[bytes]:
    cursors: dict[str, int] = {}
    # Subscribe before the initial reads so a write in between still wakes us; inside the
    # generator so the `finally` below always pairs with it.
    service.hub.subscribe(sub)
    try:
        for table in collections:
            async for chunk in _drain(service, sub, table, since, cursors):
                yield chunk
        while not service.hub.closing.is_set():
            try:
                await asyncio.wait_for(sub.wake.wait(), timeout=service.sse_heartbeat_s)
            except TimeoutError:
                yield HEARTBEAT
                continue
            if service.hub.closing.is_set():
                break
            for tables in sub.take().values():
                for table in sorted(tables):
                    if collections and table not in collections:
                        continue
                    async for chunk in _drain(service, sub, table, since, cursors):
                        yield chunk
    finally:
        service.hub.unsubscribe(sub)


async def _drain(
    service: SyncService, sub: Subscriber, table: str, since: int, cursors: dict[str, int]
) -> AsyncIterator[bytes]:
    """Every page of `table` after its cursor, one event per non-empty page."""
    while True:
        cursor = cursors.get(table, since)
        page, data = await run_in_threadpool(_read, service, sub, table, cursor)
        cursors[table] = page.until
        if data is not None:
            yield _event(data)
        if not page.has_more:
            return


def _read(
    service: SyncService, sub: Subscriber, table: str, cursor: int
) -> tuple[Page, bytes | None]:
    page = service.read_page(
        sub.user_id, sub.app_id or "", table, cursor, sub.client_id, stream=True
    )
    return page, service.stream_event(page, table) if page.rows else None
