"""Reading and writing record rows with the writer's connection (no ORM: these are hot paths)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Final

from mana_desktop.domain.lww import RecordState, compact_json, decode_meta, to_field_meta
from mana_desktop.store.models import Record

CHUNK: Final = 500  # ids per IN (...) query

UPSERT: Final = (
    "INSERT OR REPLACE INTO records (app, collection, id, data, meta, deleted_at) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
SELECT_ONE: Final = (
    "SELECT data, meta, deleted_at FROM records WHERE app = ? AND collection = ? AND id = ?"
)


dumps = compact_json  # see domain/lww.py: valid for JSON1, storable, NaN refused


def load_states(
    conn: sqlite3.Connection, app: str, keys: Iterable[tuple[str, str]], raw_text: bool = False
) -> dict[tuple[str, str], RecordState]:
    """The stored states of the given (collection, id) keys that exist (`raw_text`: keep the
    stored JSON texts on each state, to compare with a row about to be written)."""
    by_collection: dict[str, list[str]] = {}
    for collection, record_id in keys:
        by_collection.setdefault(collection, []).append(record_id)
    states: dict[tuple[str, str], RecordState] = {}
    for collection, ids in by_collection.items():
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = (
                "SELECT id, data, meta FROM records WHERE app = ? AND collection = ? "
                f"AND id IN ({marks})"
            )
            for record_id, data, meta in conn.execute(sql, (app, collection, *chunk)):
                record = json.loads(data)
                state = RecordState(record, decode_meta(meta, record))
                if raw_text:
                    state.text = (data, meta)
                states[(collection, record_id)] = state
    return states


def state_row(app: str, collection: str, record_id: str, state: RecordState) -> tuple[str, ...]:
    return (
        app,
        collection,
        record_id,
        dumps(state.data),
        state.encoded_meta(),
        state.deleted_at(),  # type: ignore[return-value]
    )


def to_record(
    app: str, collection: str, record_id: str, data: str, meta: str, deleted_at: str | None
) -> Record:
    record = json.loads(data)
    return Record(
        app=app,
        collection=collection,
        id=record_id,
        data=record,
        field_meta=to_field_meta(decode_meta(meta, record)),
        deleted_at=deleted_at,
    )


def read_state(
    conn: sqlite3.Connection, app: str, collection: str, record_id: str
) -> RecordState | None:
    row = conn.execute(SELECT_ONE, (app, collection, record_id)).fetchone()
    if row is None:
        return None
    record = json.loads(row[0])
    return RecordState(record, decode_meta(row[1], record))
