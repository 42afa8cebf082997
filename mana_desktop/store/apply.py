"""Applying a page of server changes: validate each alone, LWW, one transaction with its cursor.

Two paths. Most changes of a bulk (initial) sync are plain inserts of records the replica does
not hold yet: their stored rows are built directly (one stamp for the whole record, no
per-field comparison) and written with `INSERT OR IGNORE`, so no lookup is needed first. If
some of those records did exist after all, the write says so (fewer rows changed) and those
changes are re-applied through the general path, which loads the stored state and merges
field by field under LWW (`domain/lww.py`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from operator import itemgetter
from typing import Any, Final

from mana_desktop.domain.bulk import BulkInserts
from mana_desktop.domain.changeset import ChangeSet
from mana_desktop.domain.incoming import Incoming, parse_change
from mana_desktop.domain.lww import Conflict as ConflictTuple
from mana_desktop.domain.lww import RecordState, apply_hard_delete, apply_writes, wire_at
from mana_desktop.domain.timeutil import now_ms
from mana_desktop.store.events import EventMemory
from mana_desktop.store.journal import write_journal
from mana_desktop.store.models import ApplyResult, Conflict
from mana_desktop.store.page import Key, Page, split_page
from mana_desktop.store.rows import UPSERT, load_states, state_row

MAX_DETAIL: Final = 2000  # characters of a dropped change kept in the journal
INSERT_NEW: Final = (
    "INSERT OR IGNORE INTO records (app, collection, id, data, meta, deleted_at) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
# Rows of a page without tombstones leave out deleted_at: one bound value less per row is
# measurably cheaper (a tenth of the insert).
INSERT_LIVE: Final = (
    "INSERT OR IGNORE INTO records (app, collection, id, data, meta, deleted_at) "
    "VALUES (?, ?, ?, ?, ?, NULL)"
)

def _merge(
    app: str,
    changes: list[Incoming],
    states: dict[Key, RecordState],
    detect_conflicts: bool,
) -> tuple[ChangeSet, list[Conflict]]:
    """Apply general changes to loaded states (missing ones are created) under LWW."""
    changed: ChangeSet = {}
    conflicts: list[Conflict] = []
    found: list[ConflictTuple] | None = [] if detect_conflicts else None
    for change in changes:
        key = (change.table, change.id)
        state = states.get(key)
        if state is None:
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
    return changed, conflicts


def _write_fast(
    conn: sqlite3.Connection, page: Page
) -> tuple[ChangeSet, list[Incoming], dict[Key, RecordState]]:
    """Insert the fast rows; changes whose record existed come back for the general path."""
    rows = page.fast_rows()
    before = conn.total_changes
    conn.executemany(INSERT_NEW if len(rows[0]) == 6 else INSERT_LIVE, rows)
    app = rows[0][0]
    changed = _fast_keys(app, page)
    if conn.total_changes - before == len(rows):
        return changed, [], {}
    # Some records existed: those whose stored row differs from ours go the general way. A
    # stored row identical to ours is a no-op either way (it may be reported as changed).
    stored = load_states(conn, app, page.fast.keys(), raw_text=True)
    redo: list[Incoming] = []
    states: dict[Key, RecordState] = {}
    for key, (row, raw) in page.fast.items():
        state = stored.get(key)
        if state is not None and state.text != (row[3], row[4]):
            parsed = parse_change(raw)
            assert not isinstance(parsed, str)
            redo.append(parsed)
            states[key] = state
            changed[(app, key[0])].discard(key[1])
    return changed, redo, states


def _fast_keys(app: str, page: Page) -> ChangeSet:
    """The keys of the fast rows as a change set (a page usually holds one collection)."""
    rows = page.fast_rows()
    tables = set(map(itemgetter(1), rows))
    if len(tables) == 1:
        return {(app, tables.pop()): set(map(itemgetter(2), rows))}
    changed: ChangeSet = {}
    for row in rows:
        changed.setdefault((app, row[1]), set()).add(row[2])
    return changed


# What storing a validated change can still raise: nesting deeper than the encoder allows,
# NaN/Infinity (not JSON), text SQLite cannot take. Such a change is dropped alone.
UNSTORABLE: Final = (RecursionError, ValueError, UnicodeError, OverflowError, sqlite3.DataError)


def apply_page(
    conn: sqlite3.Connection,
    app: str,
    changes: Iterable[Any],
    *,
    collection: str | None,
    cursor: str | None,
    events: EventMemory | None,
) -> ApplyResult:
    """Apply one page inside the caller's transaction (the caller commits).

    The page goes in one piece; if something in it cannot be stored, the page is rolled back
    to a savepoint and applied change by change, dropping (and journalling) only the culprits.
    """
    # A typed bulk page (`domain.bulk`) stays typed: it becomes dicts only if it must.
    changes = changes if isinstance(changes, (list, BulkInserts)) else list(changes)
    conn.execute("SAVEPOINT apply_page")
    try:
        result = _apply(conn, app, changes, collection=collection, cursor=cursor, events=events)
    except UNSTORABLE:
        conn.execute("ROLLBACK TO apply_page")
        conn.execute("RELEASE apply_page")
        _resync(conn, events)
        return _one_by_one(conn, app, changes, collection=collection, cursor=cursor, events=events)
    conn.execute("RELEASE apply_page")
    return result


def _resync(conn: sqlite3.Connection, events: EventMemory | None) -> None:
    """Event ids of a rolled-back attempt must not count as applied."""
    if events is not None:
        events.forget()
        events.refresh(conn)


def _one_by_one(
    conn: sqlite3.Connection,
    app: str,
    changes: list[Any] | BulkInserts,
    *,
    collection: str | None,
    cursor: str | None,
    events: EventMemory | None,
) -> ApplyResult:
    changed: ChangeSet = {}
    applied = dropped = duplicates = 0
    conflicts: list[Conflict] = []
    for raw in changes:
        conn.execute("SAVEPOINT apply_one")
        try:
            one = _apply(conn, app, [raw], collection=collection, cursor=None, events=events)
        except UNSTORABLE as exc:
            conn.execute("ROLLBACK TO apply_one")
            conn.execute("RELEASE apply_one")
            _resync(conn, events)
            dropped += 1
            write_journal(conn, "dropped", f"cannot be stored: {type(exc).__name__}: {str(exc)[:200]}",
                          app, _key_of(raw, "table"), _key_of(raw, "id"), _drop_detail(raw))
            continue
        conn.execute("RELEASE apply_one")
        applied, dropped = applied + one.applied, dropped + one.dropped
        duplicates += one.duplicates
        conflicts.extend(one.conflicts)
        for key, ids in one.changed.items():
            changed.setdefault(key, set()).update(ids)
    if cursor is not None and collection is not None:
        store_cursor(conn, app, collection, cursor)
    return ApplyResult(changed, applied, dropped, duplicates, conflicts)


def _apply(
    conn: sqlite3.Connection,
    app: str,
    changes: list[Any] | BulkInserts,
    *,
    collection: str | None,
    cursor: str | None,
    events: EventMemory | None,
) -> ApplyResult:
    page = split_page(app, changes, events)
    for raw, reason in page.drops:
        write_journal(
            conn, "dropped", reason, app, _key_of(raw, "table"), _key_of(raw, "id"),
            _drop_detail(raw),
        )
    initial = collection is not None and _stored_cursor(conn, app, collection) is None
    changed: ChangeSet = {}
    slow, states = page.slow, load_states(conn, app, page.slow_keys) if page.slow else {}
    if page.fast_count():
        changed, redo, redo_states = _write_fast(conn, page)
        slow, states = slow + redo, {**states, **redo_states}
    merged, conflicts = _merge(app, slow, states, detect_conflicts=not initial)
    conn.executemany(UPSERT, [state_row(app, c, i, st) for (c, i), st in states.items() if st.dirty])
    for key, ids in merged.items():
        changed.setdefault(key, set()).update(ids)
    _journal_conflicts(conn, app, conflicts)
    for (table, record_id), at in page.future.items():
        write_journal(
            conn, "future",
            f"the server sent a change stamped {wire_at(at)}, in the future: it wins over every "
            "edit until then (a writer's clock is wrong)",
            app, table, record_id, {"at": at},
        )
    if events is not None and page.event_ids:
        events.add(conn, page.event_ids)
    if cursor is not None and collection is not None:
        store_cursor(conn, app, collection, cursor)
    applied = page.fast_count() + len(page.slow)
    return ApplyResult({k: v for k, v in changed.items() if v}, applied, len(page.drops),
                       page.duplicates, conflicts)


def _journal_conflicts(conn: sqlite3.Connection, app: str, conflicts: list[Conflict]) -> None:
    for conflict in conflicts:
        write_journal(
            conn, "conflict",
            f"your edit of {conflict.field} was replaced by a newer value from the server",
            app, conflict.collection, conflict.record_id,
            {"field": conflict.field, "localAt": conflict.local_at, "serverAt": conflict.server_at},
        )


def _drop_detail(raw: Any) -> dict[str, Any]:
    try:
        text = json.dumps(raw, default=str)
    except (ValueError, RecursionError):
        text = "(a value that cannot be written as JSON)"
    return {"change": text[:MAX_DETAIL], "truncated": len(text) > MAX_DETAIL}


def _key_of(raw: Any, name: str) -> str | None:
    """A key of a dropped change for the journal columns (only if it can be stored as text)."""
    value = raw.get(name) if isinstance(raw, dict) else None
    if isinstance(value, str) and len(value) <= 512 and value.isprintable():
        return value
    return None


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
