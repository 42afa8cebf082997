"""The sync service: push, pull and server-side writes over the store, independent of HTTP.

Everything here is blocking (SQLite); the ASGI layer calls it from a worker thread.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mana_desktop.domain.timeutil import format_nano
from mana_desktop.domain.wire import DIALECT_AT, DIALECTS, PAGE_SIZE, PUSH_CAP, SCHEMA_VERSION
from mana_desktop.server.auth import ACCESS_TTL_S, Auth, SigningKey, key_path_for
from mana_desktop.server.changes import go_escape, parse_push, prepare_changes, row_json
from mana_desktop.server.hub import Hub
from mana_desktop.server.sql_json import change_json_sql
from mana_desktop.server.store import Page, PendingRow, Scope, Store

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Go's time.RFC3339Nano parser: `T`, optional fraction, `Z` or a `±hh:mm` offset.
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$"
)


class Forbidden(Exception):
    """A 403 whose message is the text/plain body."""


BackgroundTask = Callable[["SyncService"], Awaitable[None]]


def parse_since(text: str) -> int:
    """A cursor as epoch microseconds; anything unparsable is the epoch (upstream's fallback)."""
    match = _RFC3339.match(text)
    if match is None:
        return 0
    year, month, day, hour, minute, second, frac, zone = match.groups()
    try:
        value = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((frac or "0")[:6].ljust(6, "0")),
            tzinfo=UTC,
        )
    except ValueError:
        return 0
    if zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        value -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    delta = value - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def format_stamp(micros: int) -> str:
    """Epoch microseconds as RFC3339Nano (trailing zeros trimmed), like Go's time format."""
    return format_nano(EPOCH + timedelta(microseconds=micros))


@dataclass
class SyncService:
    """Store + auth + hub, with the push/pull semantics of upstream mana-sync."""

    store: Store
    auth: Auth
    dialect: str = DIALECT_AT
    hub: Hub = field(default_factory=Hub)
    background_tasks: list[BackgroundTask] = field(default_factory=list)
    sse_heartbeat_s: float = 30.0
    ws_auth_deadline_s: float = 10.0
    service_key: str = ""  # X-Service-Key for the internal endpoints; empty disables them

    @classmethod
    def open(
        cls,
        db_path: Path,
        *,
        dialect: str = DIALECT_AT,
        access_ttl_s: int = ACCESS_TTL_S,
        **options: Any,
    ) -> SyncService:
        if dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {dialect!r} (expected one of {', '.join(DIALECTS)})")
        store = Store(db_path)
        try:
            key = SigningKey(key_path_for(store.path))
        except BaseException:
            store.close()
            raise
        auth = Auth(store, key, access_ttl_s=access_ttl_s)
        return cls(store=store, auth=auth, dialect=dialect, **options)

    def close(self) -> None:
        self.store.close()

    def add_background_task(self, task: BackgroundTask) -> None:
        """Run `task(service)` on the server's event loop while it serves (e.g. the mission
        runner); it is cancelled at shutdown. Add tasks before the server starts."""
        self.background_tasks.append(task)

    def scope(self, user_id: str) -> Scope:
        if self.dialect != DIALECT_AT:
            return Scope(user_id)  # OLD read scope: the user's own rows only
        return Scope(user_id, self.auth.spaces(user_id))

    # -- push and pull --------------------------------------------------------------------

    def push(self, user_id: str, app_id: str, header_client: str, body: bytes) -> bytes:
        """`POST /sync/{appId}`: store the batch (one transaction), answer what others wrote.

        Raises changes.BadRequest before anything is stored when any change is invalid.
        """
        request = parse_push(body, self.dialect)
        client_id = header_client or request.client_id
        self._check_spaces(user_id, request.rows)
        self.store.append(user_id, app_id, client_id, request.rows)
        page = self.store.read(
            self.scope(user_id),
            app_id,
            since=parse_since(request.since),
            exclude_client=client_id,
            limit=PUSH_CAP,
            select=change_json_sql(self.dialect, False),
        )
        if request.rows:
            self.hub.notify(user_id, app_id, client_id, request.tables)
        return self._response_bytes(page)

    def _check_spaces(self, user_id: str, rows: list[PendingRow]) -> None:
        """Refuse writes into a Space that has members when the writer is not one of them.

        Upstream stores any `spaceId` and every member then reads the row (F9: anyone who
        knows a space id can inject rows into it). Spaces nobody is registered for (a
        personal space, a Space this server does not know) stay writable: no one else reads
        them."""
        spaces = {row.space_id for row in rows if row.space_id}
        if not spaces:
            return
        foreign = self.auth.foreign_spaces(user_id, spaces)
        if foreign:
            index = next(i for i, row in enumerate(rows) if row.space_id in foreign)
            raise Forbidden(
                f"forbidden: not a member of space {json.dumps(rows[index].space_id)}"
                f" in change {index}"
            )

    def pull(self, user_id: str, app_id: str, collection: str, since: str, client_id: str) -> bytes:
        """`GET /sync/{appId}/pull`: one page of one collection."""
        stamp = parse_since(since)
        try:
            page = self.store.read_joined(
                self.scope(user_id),
                app_id,
                table=collection,
                since=stamp,
                exclude_client=client_id,
                limit=PAGE_SIZE,
                select=change_json_sql(self.dialect, False),
            )
        except sqlite3.DataError:
            # A page over SQLite's string limit (1 GB: huge rows): row by row instead.
            rows = self.read_page(user_id, app_id, collection, stamp, client_id)
            return self._response_bytes(rows)
        return _sync_response(self._fill_fallbacks(page.text), page.has_more, page.until)

    def _fill_fallbacks(self, joined: str) -> str:
        """Render the rows a joined page left to Python (`NUL rowid NUL`, see JoinedPage)."""
        if "\0" not in joined:
            return joined
        parts = joined.split("\0")
        raw = self.store.rows_by_seq([int(seq) for seq in parts[1::2]])
        parts[1::2] = [row_json(raw[int(seq)], self.dialect) for seq in parts[1::2]]
        return "".join(parts)

    def read_page(
        self,
        user_id: str,
        app_id: str,
        collection: str,
        since: int,
        client_id: str,
        *,
        stream: bool = False,
    ) -> Page:
        """One page of one collection; each row is (change JSON text or None, stamp, rowid)."""
        return self.store.read(
            self.scope(user_id),
            app_id,
            table=collection,
            since=since,
            exclude_client=client_id,
            limit=PAGE_SIZE,
            select=change_json_sql(self.dialect, stream),
        )

    def change_texts(self, page: Page, *, stream: bool = False) -> list[str]:
        """The JSON text of each change of a page read with `change_json_sql`."""
        texts: list[str | None] = [row[0] for row in page.rows]  # type: ignore[misc]
        missing = [row[-1] for row in page.rows if row[0] is None]
        if missing:
            # The few rows SQL cannot render (see sql_json) are encoded here.
            raw = self.store.rows_by_seq(missing)
            texts = [
                text if text is not None else row_json(raw[row[-1]], self.dialect, stream=stream)
                for text, row in zip(texts, page.rows, strict=True)
            ]
        return [t for t in texts if t is not None]

    def _response_bytes(self, page: Page) -> bytes:
        return _sync_response(",".join(self.change_texts(page)), page.has_more, page.until)

    def stream_event(self, page: Page, table: str) -> bytes:
        """The data line of an SSE `changes` event (without the `data: ` prefix)."""
        changes = ",".join(self.change_texts(page, stream=True))
        more = "true" if page.has_more else "false"
        text = (
            f'{{"changes":[{changes}],"hasMore":{more},'
            f'"syncedUntil":"{format_stamp(page.until)}","table":{json.dumps(table, ensure_ascii=False)}}}'
        )
        return go_escape(text)

    # -- server-side writers ------------------------------------------------------------

    def append_changes(
        self,
        user_id: str,
        app: str,
        changes: list[dict[str, Any]],
        *,
        client_id: str,
        actor: Any = None,
        origin: str | None = None,
    ) -> list[str]:
        """Store wire-shaped changes written by the server itself (the mission runner).

        Validated like a push (raises changes.BadRequest), stored in one transaction, and,
        unlike upstream's direct DB writers, SSE and WebSocket subscribers are woken.
        `actor`/`origin` fill in changes that carry none. Returns the event ids.
        """
        if not user_id or not client_id:
            raise ValueError("append_changes needs a user id and a client id")
        rows = prepare_changes(changes, self.dialect, SCHEMA_VERSION, actor=actor, origin=origin)
        ids, _first = self.store.append(user_id, app, client_id, rows)
        if rows:
            self.hub.notify(user_id, app, client_id, dict.fromkeys(r.table for r in rows))
        return ids


def _sync_response(changes: str, has_more: bool, until: int) -> bytes:
    """A SyncResponse body around already rendered, comma-joined changes."""
    more = ',"hasMore":true' if has_more else ""
    text = (
        f'{{"serverChanges":[{changes}],"conflicts":[],'
        f'"syncedUntil":"{format_stamp(until)}"{more}}}'
    )
    return go_escape(text)
