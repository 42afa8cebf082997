"""The sync journal: every dropped change, conflict, quarantined push and error, with a reason."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Final

from mana_desktop.domain.timeutil import now_ms
from mana_desktop.store.models import JournalEntry

JOURNAL_KEEP: Final = 10_000  # entries kept; older ones are pruned now and then


def write_journal(
    conn: sqlite3.Connection,
    kind: str,
    reason: str,
    app: str | None = None,
    collection: str | None = None,
    record_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    cur = conn.execute(
        "INSERT INTO journal (at, kind, app, collection, record_id, reason, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (now_ms(), kind, app, collection, record_id, reason,
         json.dumps(detail or {}, default=str)),
    )
    newest = cur.lastrowid or 0
    if newest % 500 == 0:
        conn.execute("DELETE FROM journal WHERE id <= ?", (newest - JOURNAL_KEEP,))


def read_journal(
    conn: sqlite3.Connection, limit: int = 200, kind: str | None = None
) -> list[JournalEntry]:
    sql = "SELECT id, at, kind, app, collection, record_id, reason, detail FROM journal"
    params: tuple[Any, ...] = ()
    if kind is not None:
        sql += " WHERE kind = ?"
        params = (kind,)
    sql += " ORDER BY id DESC LIMIT ?"
    rows = conn.execute(sql, (*params, limit)).fetchall()
    return [
        JournalEntry(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], _detail(r[7])) for r in rows
    ]


def _detail(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
