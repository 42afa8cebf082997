"""Backups as JSON Lines: one record per line, `{app, collection, id, data, deletedAt,
fieldMeta}`, tombstones included. Import restores into an empty profile only, and checks every
line before writing anything, so a bad file loses nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from mana_desktop.domain.lww import RecordState, from_field_meta
from mana_desktop.store.models import StoreError
from mana_desktop.store.replica import Replica
from mana_desktop.store.rows import UPSERT, state_row

BATCH = 2000


class BackupError(StoreError):
    """A backup line that cannot be restored (the message names the line)."""


def export_lines(replica: Replica) -> Iterator[str]:
    for record in replica.iter_all():
        yield json.dumps(
            {
                "app": record.app,
                "collection": record.collection,
                "id": record.id,
                "data": record.data,
                "deletedAt": record.deleted_at,
                "fieldMeta": record.field_meta,
            },
            separators=(",", ":"),
        )


def export_to(replica: Replica, out: TextIO) -> int:
    count = 0
    for line in export_lines(replica):
        out.write(line + "\n")
        count += 1
    return count


def _parse_line(number: int, line: str) -> tuple[str, str, str, RecordState]:
    try:
        raw: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BackupError(f"line {number}: not valid JSON ({exc.msg})") from exc
    if not isinstance(raw, dict):
        raise BackupError(f"line {number}: expected a JSON object")
    for key in ("app", "collection", "id"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise BackupError(f"line {number}: {key} must be a non-empty string")
    data, meta = raw.get("data"), raw.get("fieldMeta", {})
    if not isinstance(data, dict):
        raise BackupError(f"line {number}: data must be an object")
    if not isinstance(meta, dict):
        raise BackupError(f"line {number}: fieldMeta must be an object")
    deleted = raw.get("deletedAt")
    if deleted is not None and not isinstance(deleted, str):
        raise BackupError(f"line {number}: deletedAt must be a string or null")
    if deleted is not None and data.get("deletedAt") is None:
        data = {**data, "deletedAt": deleted}
    return raw["app"], raw["collection"], raw["id"], RecordState(data, from_field_meta(meta))


def import_lines(replica: Replica, lines: Iterable[str]) -> int:
    """Restore a backup into an empty replica; returns the number of records."""
    rows = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            app, collection, record_id, state = _parse_line(number, line)
            rows.append(state_row(app, collection, record_id, state))
    if replica.count() or replica.pending_count():
        raise BackupError(
            "this profile already holds records; import restores into an empty profile only "
            "(use a new --data-dir)"
        )
    with replica.write() as tx:
        for start in range(0, len(rows), BATCH):
            tx.conn.executemany(UPSERT, rows[start : start + BATCH])
        for app, collection, record_id, *_ in rows:
            tx.changed.setdefault((app, collection), set()).add(record_id)
        tx.journal("info", f"restored {len(rows)} records from a backup")
    return len(rows)
