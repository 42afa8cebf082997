"""Applying a page of server changes: validate each alone, LWW, one transaction with its cursor."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any, Final

from mana_desktop.domain.changeset import ChangeSet
from mana_desktop.domain.incoming import Incoming, parse_change
from mana_desktop.domain.lww import (
    REPLAY,
    RecordState,
    apply_hard_delete,
    apply_writes,
    new_from_insert,
    stamp_json,
)
from mana_desktop.domain.lww import (
    Conflict as ConflictTuple,
)
from mana_desktop.domain.timeutil import now_ms
from mana_desktop.store.events import EventMemory
from mana_desktop.store.journal import write_journal
from mana_desktop.store.models import ApplyResult, Conflict
from mana_desktop.store.rows import UPSERT, dumps, load_states, state_row

MAX_DETAIL: Final = 2000  # characters of a dropped change kept in the journal


def _drop_detail(raw: Any) -> dict[str, Any]:
    text = json.dumps(raw, default=str, ensure_ascii=False)
    return {"change": text[:MAX_DETAIL], "truncated": len(text) > MAX_DETAIL}


def _key_of(raw: Any, name: str) -> str | None:
    value = raw.get(name) if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


def _validate(
    conn: sqlite3.Connection, app: str, changes: Iterable[Any]
) -> tuple[list[Incoming], int]:
    parsed: list[Incoming] = []
    dropped = 0
    for raw in changes:
        result = parse_change(raw)
        if isinstance(result, str):
            dropped += 1
            write_journal(
                conn, "dropped", result, app, _key_of(raw, "table"), _key_of(raw, "id"),
                _drop_detail(raw),
            )
        else:
            parsed.append(result)
    return parsed, dropped


def _dedup(parsed: list[Incoming], events: EventMemory | None) -> tuple[list[Incoming], list[str], int]:
    """Drop changes whose eventId was applied before (overlap re-reads, replays)."""
    if events is None:
        return parsed, [], 0
    fresh: list[Incoming] = []
    page_ids: list[str] = []
    seen: set[str] = set()
    duplicates = 0
    for change in parsed:
        event_id = change.event_id
        if event_id is not None:
            if event_id in seen or event_id in events:
                duplicates += 1
                continue
            seen.add(event_id)
            page_ids.append(event_id)
        fresh.append(change)
    return fresh, page_ids, duplicates


def _fast_row(app: str, change: Incoming) -> tuple[Any, ...] | None:
    """The stored row of an insert creating a new record whose data carries its own id.

    Initial syncs are almost only these; building the row directly (no per-field LWW, one
    stamp for the whole record) is what keeps bulk apply near the speed of raw executemany.
    """
    data = change.data
    if data is None or change._writes is not None or data.get("id") != change.id:
        return None
    if "__fieldMeta" in data or "_updatedAtIndex" in data:
        return None
    deleted = data.get("deletedAt")
    stamp = (change.insert_at, REPLAY, change.actor)
    return (
        app, change.table, change.id, dumps(data), '{"u":' + stamp_json(stamp) + "}",
        deleted if isinstance(deleted, str) and deleted else None,
    )


def _merge(
    app: str,
    fresh: list[Incoming],
    states: dict[tuple[str, str], RecordState],
    detect_conflicts: bool,
) -> tuple[list[tuple[Any, ...]], ChangeSet, list[Conflict]]:
    """Rows to write, the change set and the conflicts of one page."""
    changed: ChangeSet = {}
    conflicts: list[Conflict] = []
    found: list[ConflictTuple] | None = [] if detect_conflicts else None
    rows: list[tuple[Any, ...] | None] = []
    fast: dict[tuple[str, str], tuple[int, Incoming]] = {}  # key -> (row index, its insert)
    for change in fresh:
        key = (change.table, change.id)
        state = states.get(key)
        if state is None:
            earlier = fast.pop(key, None)
            if earlier is not None:  # a second change to a record created by this page
                rows[earlier[0]] = None
                first = earlier[1]
                state = states[key] = new_from_insert(first.id, first.data or {}, first.insert_at, first.actor)
            else:
                row = _fast_row(app, change)
                if row is not None:
                    fast[key] = (len(rows), change)
                    rows.append(row)
                    changed.setdefault((app, change.table), set()).add(change.id)
                    continue
                # Unknown record: create it, even for a delete (a tombstone; upstream skips it).
                state = states[key] = RecordState({"id": change.id}, {})
                state.dirty = True
        if change.hard_delete:
            apply_hard_delete(state)
        else:
            apply_writes(state, change.writes, change.actor, found)
        if state.dirty:
            changed.setdefault((app, change.table), set()).add(change.id)
        if found:
            conflicts.extend(Conflict(app, change.table, change.id, *c) for c in found)
            found.clear()
    out = [row for row in rows if row is not None]
    out.extend(state_row(app, coll, rid, st) for (coll, rid), st in states.items() if st.dirty)
    return out, changed, conflicts


def apply_page(
    conn: sqlite3.Connection,
    app: str,
    changes: Iterable[Any],
    *,
    collection: str | None,
    cursor: str | None,
    events: EventMemory | None,
) -> ApplyResult:
    """Apply one page inside the caller's transaction (the caller commits)."""
    parsed, dropped = _validate(conn, app, changes)
    fresh, page_ids, duplicates = _dedup(parsed, events)
    states = load_states(conn, app, {(c.table, c.id) for c in fresh})
    initial = collection is not None and _stored_cursor(conn, app, collection) is None
    rows, changed, conflicts = _merge(app, fresh, states, detect_conflicts=not initial)
    conn.executemany(UPSERT, rows)
    for conflict in conflicts:
        write_journal(
            conn, "conflict",
            f"your edit of {conflict.field} was replaced by a newer value from the server",
            app, conflict.collection, conflict.record_id,
            {"field": conflict.field, "localAt": conflict.local_at, "serverAt": conflict.server_at},
        )
    if events is not None and page_ids:
        events.add(conn, page_ids)
    if cursor is not None and collection is not None:
        store_cursor(conn, app, collection, cursor)
    return ApplyResult(changed, len(fresh), dropped, duplicates, conflicts)


def _stored_cursor(conn: sqlite3.Connection, app: str, collection: str) -> str | None:
    row = conn.execute(
        "SELECT cursor FROM cursors WHERE app = ? AND collection = ?", (app, collection)
    ).fetchone()
    return None if row is None else str(row[0])


def store_cursor(conn: sqlite3.Connection, app: str, collection: str, cursor: str) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO cursors (app, collection, cursor, updated_at) VALUES (?, ?, ?, ?)",
        (app, collection, cursor, now_ms()),
    )
