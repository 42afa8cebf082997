"""The replica's schema and its versioned migrations.

`PRAGMA user_version` holds the schema version. Each step upgrades one version inside one
transaction, so a crash mid-upgrade leaves the previous version intact. Version 1 is the first
released layout (kept as a checked-in fixture, tests/fixtures/data/replica_v1.db); never edit
a released step, add a new one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from mana_desktop.domain.lww import REPLAY, Stamp, canon_at, encode_meta


class SchemaError(RuntimeError):
    """The database was made by a newer version of Mana Desktop, or is not a replica."""


V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE records (
    app TEXT NOT NULL, collection TEXT NOT NULL, id TEXT NOT NULL,
    data TEXT NOT NULL, field_times TEXT NOT NULL DEFAULT '{}', deleted_at TEXT,
    PRIMARY KEY (app, collection, id)
) WITHOUT ROWID;
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL, collection TEXT NOT NULL,
    record_id TEXT NOT NULL, op TEXT NOT NULL, change TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE cursors (
    app TEXT NOT NULL, collection TEXT NOT NULL, cursor TEXT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (app, collection)
) WITHOUT ROWID;
CREATE TABLE applied_events (event_id TEXT PRIMARY KEY, applied_at TEXT NOT NULL);
CREATE TABLE journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, kind TEXT NOT NULL,
    app TEXT, collection TEXT, record_id TEXT, reason TEXT NOT NULL, detail TEXT
);
"""

V2 = """
ALTER TABLE records ADD COLUMN meta TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN group_id TEXT;
ALTER TABLE outbox ADD COLUMN hold_until TEXT;
ALTER TABLE outbox ADD COLUMN sent_at TEXT;
ALTER TABLE outbox ADD COLUMN quarantined_at TEXT;
ALTER TABLE outbox ADD COLUMN quarantine_reason TEXT;
CREATE INDEX outbox_by_app ON outbox (app, id);
CREATE INDEX outbox_by_group ON outbox (group_id) WHERE group_id IS NOT NULL;
CREATE TABLE groups (
    group_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, hold_until TEXT, entries INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE undo_saves (
    group_id TEXT NOT NULL, app TEXT NOT NULL, collection TEXT NOT NULL, id TEXT NOT NULL,
    existed INTEGER NOT NULL, data TEXT, meta TEXT, deleted_at TEXT,
    PRIMARY KEY (group_id, app, collection, id)
) WITHOUT ROWID;
CREATE TABLE event_pages (seq INTEGER PRIMARY KEY AUTOINCREMENT, ids TEXT NOT NULL);
CREATE TABLE commits (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, writer TEXT NOT NULL, changes TEXT NOT NULL
);
CREATE INDEX journal_by_kind ON journal (kind, id);
"""


def _v1(conn: sqlite3.Connection) -> None:
    for statement in V1.split(";"):
        if statement.strip():
            conn.execute(statement)


def _meta_from_times(times_text: str, data_text: str) -> str:
    """Version 1 kept `{field: at}`; version 2 keeps a stamp `(at, origin, actor)` per field."""
    try:
        times: Any = json.loads(times_text)
    except ValueError:
        times = {}
    stamps: dict[str, Stamp] = {}
    for name, at in (times.items() if isinstance(times, dict) else ()):
        canonical = canon_at(at) if isinstance(at, str) else None
        if canonical is not None:
            stamps[name] = (canonical, REPLAY, None)
    try:
        data = json.loads(data_text)
    except ValueError:
        data = None
    return encode_meta(stamps, data if isinstance(data, dict) else None)


def _v2(conn: sqlite3.Connection) -> None:
    for statement in V2.split(";"):
        if statement.strip():
            conn.execute(statement)
    rows = conn.execute("SELECT app, collection, id, field_times, data FROM records").fetchall()
    conn.executemany(
        "UPDATE records SET meta = ? WHERE app = ? AND collection = ? AND id = ?",
        [(_meta_from_times(times, data), app, coll, rid) for app, coll, rid, times, data in rows],
    )
    conn.execute("ALTER TABLE records DROP COLUMN field_times")
    # Version 1 kept one row per event id; now one row per applied page (cheap to write).
    ids = [row[0] for row in conn.execute("SELECT event_id FROM applied_events ORDER BY rowid")]
    if ids:
        conn.execute("INSERT INTO event_pages (ids) VALUES (?)", ("\n".join(ids),))
    conn.execute("DROP TABLE applied_events")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1, _v2)
LATEST = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, target: int = LATEST) -> int:
    """Bring the database to `target` (default: the latest); returns the version found."""
    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if found > LATEST:
        raise SchemaError(
            f"this replica has schema version {found}; this Mana Desktop understands up to "
            f"{LATEST}. Update Mana Desktop, or use another --data-dir."
        )
    while True:
        # Re-read inside the write lock: another process may have upgraded meanwhile.
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version >= target:
                conn.execute("COMMIT")
                return found
            MIGRATIONS[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
