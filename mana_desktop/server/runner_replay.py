"""Rebuild records from the server's change log, one user at a time.

The runner needs the current state of each mission, but the server stores only changes. We
replay them with the client's field-level LWW (`domain/lww.py`): every field carries a stamp,
a later stamp wins, ties are broken by value so any order converges. A field's stamp is its
`field_meta` instant when the writer sent one, else (as the client does for inserts) the
record's `updatedAt`/`createdAt`, else the row's own server time. Times are parsed, never
compared as text (upstream's projection compares ISO strings).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mana_desktop.domain.lww import CANON_EPOCH, REPLAY, Stamp, canon_at, remote_wins
from mana_desktop.domain.timeutil import format_micro


@dataclass(frozen=True)
class LogRow:
    """One stored change as the runner reads it."""

    record_id: str
    op: str  # insert | update | delete
    data: Mapping[str, Any]
    field_at: Mapping[str, str]  # field -> instant the writer stamped
    created_at: datetime  # server time of the row


@dataclass
class ReplayedRecord:
    id: str
    data: dict[str, Any] = field(default_factory=dict)
    stamps: dict[str, Stamp] = field(default_factory=dict)
    deleted: bool = False

    def stamp_of(self, name: str) -> Stamp | None:
        return self.stamps.get(name)


def decode_json_object(text: object) -> dict[str, Any]:
    """A JSON column as a dict; anything else (NULL, garbage, a list) as {}."""
    if isinstance(text, dict):
        return text
    if not isinstance(text, str | bytes) or not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def field_instants(meta: Mapping[str, Any]) -> dict[str, str]:
    """`field_meta` as `{field: instant}`; accepts plain instants and `{at, ...}` objects."""
    out: dict[str, str] = {}
    for name, value in meta.items():
        if isinstance(value, str):
            out[name] = value
        elif isinstance(value, Mapping):
            at = value.get("at", value.get("updatedAt"))
            if isinstance(at, str):
                out[name] = at
    return out


def _fallback_at(row: LogRow) -> str:
    if row.op == "insert":
        for key in ("updatedAt", "createdAt"):
            value = row.data.get(key)
            if isinstance(value, str) and canon_at(value):
                return canon_at(value) or CANON_EPOCH
        return CANON_EPOCH
    return format_micro(row.created_at)


def apply_row(record: ReplayedRecord, row: LogRow) -> None:
    if row.op == "delete":
        record.deleted = True
        return
    fallback = _fallback_at(row)
    # An update carries only its stamped fields (a client ignores an update without `fields`).
    names = row.data.keys() if row.op == "insert" else row.field_at.keys() & row.data.keys()
    for name in names:
        if name == "id":
            continue
        value = row.data[name]
        at = canon_at(row.field_at[name]) if row.field_at.get(name) else None
        stamp: Stamp = (at or fallback, REPLAY, None)
        if remote_wins(value, stamp, record.data.get(name), record.stamps.get(name)):
            record.data[name] = value
            record.stamps[name] = stamp
    if record.data.get("deletedAt"):
        record.deleted = True


def replay(rows: Iterable[LogRow]) -> dict[str, ReplayedRecord]:
    """All records of one user's collection, by id (deleted ones flagged, not dropped)."""
    records: dict[str, ReplayedRecord] = {}
    for row in rows:
        record = records.get(row.record_id)
        if record is None:
            record = records[row.record_id] = ReplayedRecord(row.record_id)
        apply_row(record, row)
    for record in records.values():
        record.data["id"] = record.id
    return records
