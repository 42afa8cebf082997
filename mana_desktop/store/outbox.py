"""The outbox: local changes in order until the server answers 2xx; groups, holds, quarantine."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from mana_desktop.domain import changeset as cs
from mana_desktop.domain.changeset import ChangeSet
from mana_desktop.domain.lww import canon_at
from mana_desktop.domain.timeutil import format_micro, now_ms, utc_now
from mana_desktop.store.journal import write_journal
from mana_desktop.store.models import OutboxEntry, UndoExpired

COLUMNS: Final = (
    "id, app, collection, record_id, op, change, created_at, group_id, hold_until, "
    "quarantine_reason"
)


def _entry(row: Sequence[Any]) -> OutboxEntry:
    return OutboxEntry(
        id=int(row[0]), app=row[1], collection=row[2], record_id=row[3], op=row[4],
        change=json.loads(row[5]), created_at=row[6], group=row[7], hold_until=row[8],
        quarantine_reason=row[9],
    )


def pending(conn: sqlite3.Connection, app: str | None = None) -> list[OutboxEntry]:
    sql = f"SELECT {COLUMNS} FROM outbox WHERE quarantined_at IS NULL"
    params: tuple[Any, ...] = ()
    if app is not None:
        sql += " AND app = ?"
        params = (app,)
    return [_entry(r) for r in conn.execute(sql + " ORDER BY id", params)]


def batch(
    conn: sqlite3.Connection, app: str, limit: int, now: str | datetime | None
) -> list[OutboxEntry]:
    """The next entries to push, in order, stopping at the first one still on hold.

    Stopping (instead of skipping) keeps later edits of the same record behind a held one;
    holds last seconds, so the queue waits at most that long. Handed-out entries are marked
    sent: from then on their group can no longer be undone locally.
    """
    if isinstance(now, datetime):
        now_text = format_micro(now)
    else:
        now_text = (canon_at(now) if now else None) or format_micro(utc_now())
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM outbox WHERE app = ? AND quarantined_at IS NULL ORDER BY id LIMIT ?",
        (app, limit),
    ).fetchall()
    ready = []
    for row in rows:
        if row[8] is not None and row[8] > now_text:
            break
        ready.append(_entry(row))
    if ready:
        conn.executemany(
            "UPDATE outbox SET sent_at = ? WHERE id = ? AND sent_at IS NULL",
            [(now_ms(), e.id) for e in ready],
        )
    return ready


def ack(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    conn.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])
    # Groups with nothing left to send can no longer be undone: drop their saved states.
    conn.execute(
        "DELETE FROM undo_saves WHERE group_id IN (SELECT group_id FROM groups g WHERE NOT "
        "EXISTS (SELECT 1 FROM outbox o WHERE o.group_id = g.group_id))"
    )
    conn.execute(
        "DELETE FROM groups WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.group_id = groups.group_id)"
    )


def quarantine(conn: sqlite3.Connection, ids: Sequence[int], reason: str) -> None:
    now = now_ms()
    for entry_id in ids:
        row = conn.execute(
            "SELECT app, collection, record_id, op FROM outbox WHERE id = ?", (entry_id,)
        ).fetchone()
        if row is None:
            continue
        conn.execute(
            "UPDATE outbox SET quarantined_at = ?, quarantine_reason = ? WHERE id = ?",
            (now, reason, entry_id),
        )
        write_journal(
            conn, "quarantined", reason, row[0], row[1], row[2], {"outboxId": entry_id, "op": row[3]}
        )


def quarantined(conn: sqlite3.Connection) -> list[OutboxEntry]:
    sql = f"SELECT {COLUMNS} FROM outbox WHERE quarantined_at IS NOT NULL ORDER BY id"
    return [_entry(r) for r in conn.execute(sql)]


def requeue(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    """Put quarantined entries back in the queue (after the user fixed the cause)."""
    conn.executemany(
        "UPDATE outbox SET quarantined_at = NULL, quarantine_reason = NULL WHERE id = ?",
        [(i,) for i in ids],
    )


def discard(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    """Drop quarantined entries for good (the local record keeps its value)."""
    conn.executemany(
        "DELETE FROM outbox WHERE id = ? AND quarantined_at IS NOT NULL", [(i,) for i in ids]
    )


def release_group(conn: sqlite3.Connection, group: str) -> None:
    conn.execute("UPDATE outbox SET hold_until = NULL WHERE group_id = ?", (group,))
    conn.execute("UPDATE groups SET hold_until = NULL WHERE group_id = ?", (group,))


def undo_group(conn: sqlite3.Connection, group: str) -> ChangeSet:
    """Restore the records the group changed and drop its unsent outbox entries."""
    booked = conn.execute("SELECT entries FROM groups WHERE group_id = ?", (group,)).fetchone()
    if booked is None:
        raise UndoExpired(f"nothing to undo for {group!r}: it was sent or never existed")
    left, sent = conn.execute(
        "SELECT count(*), count(sent_at) FROM outbox WHERE group_id = ?", (group,)
    ).fetchone()
    if sent or left < booked[0]:
        raise UndoExpired(f"{group!r} was already sent to the server; it can no longer be undone")
    changed: ChangeSet = {}
    saves = conn.execute(
        "SELECT app, collection, id, existed, data, meta, deleted_at FROM undo_saves "
        "WHERE group_id = ?",
        (group,),
    ).fetchall()
    for app, collection, record_id, existed, data, meta, deleted_at in saves:
        if existed:
            conn.execute(
                "INSERT OR REPLACE INTO records (app, collection, id, data, meta, deleted_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (app, collection, record_id, data, meta, deleted_at),
            )
        else:
            conn.execute(
                "DELETE FROM records WHERE app = ? AND collection = ? AND id = ?",
                (app, collection, record_id),
            )
        cs.add(changed, app, collection, record_id)
    conn.execute("DELETE FROM outbox WHERE group_id = ?", (group,))
    conn.execute("DELETE FROM undo_saves WHERE group_id = ?", (group,))
    conn.execute("DELETE FROM groups WHERE group_id = ?", (group,))
    return changed


def stats(conn: sqlite3.Connection) -> tuple[int, str | None]:
    """(pending count, oldest pending created_at), quarantined entries excluded."""
    count, oldest = conn.execute(
        "SELECT count(*), min(created_at) FROM outbox WHERE quarantined_at IS NULL"
    ).fetchone()
    return int(count), oldest


