"""Local writes: the record, its field stamps and the outbox entry, in one transaction.

The outbox entry is stored as the wire change, ready to push: actor, origin and spaceId at the
top level, and both `at` (HEAD) and `updatedAt` (OLD) in every field change, so either server
dialect reads it (ARCHITECTURE decision 4).
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import timedelta
from typing import Any, Final

from mana_desktop.domain import changeset as cs
from mana_desktop.domain.changeset import ChangeSet
from mana_desktop.domain.crypto import RecordCipher
from mana_desktop.domain.lww import RecordState, Stamp, next_local_at, origin_of, wire_at
from mana_desktop.domain.timeutil import format_micro, format_ms, now_ms, utc_now
from mana_desktop.store.journal import write_journal
from mana_desktop.store.models import Record, StoreError
from mana_desktop.store.rows import SELECT_ONE, UPSERT, dumps, read_state, state_row, to_record

IMMUTABLE: Final[frozenset[str]] = frozenset({"userId", "spaceId", "authorId"})  # upstream hook


class WriteTx:
    """One local transaction (see `Replica.write`). `changed` accumulates what it touched."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        group: str | None,
        hold_s: float,
        default_space_id: str | None,
        cipher: RecordCipher | None = None,
    ) -> None:
        self.conn = conn
        # With a cipher, inserts get the tenancy stamps and every write seals the registry's
        # fields (docs/encryption.md): all writers are covered here, ciphertext at rest.
        self.cipher = cipher
        self.group = group
        self.changed: ChangeSet = {}
        self.default_space_id = default_space_id
        self._hold_until = format_micro(utc_now() + timedelta(seconds=hold_s)) if hold_s > 0 else None
        self._entries = 0

    # -- reads that see this transaction's own writes --------------------------------------
    def get(self, app: str, collection: str, record_id: str) -> Record | None:
        row = self.conn.execute(SELECT_ONE, (app, collection, record_id)).fetchone()
        return None if row is None else to_record(app, collection, record_id, *row)

    # -- writes ----------------------------------------------------------------------------
    def insert(
        self,
        app: str,
        collection: str,
        data: dict[str, Any],
        *,
        actor: Any,
        origin: str | None = None,
        space_id: str | None = None,
    ) -> str:
        """Create a record (a new id unless `data` has one); returns its id."""
        record = dict(data)
        record_id = str(record.get("id") or uuid.uuid4())
        if read_state(self.conn, app, collection, record_id) is not None:
            raise StoreError(f"{app}/{collection} {record_id} already exists")
        now = now_ms()
        record["id"] = record_id
        record.setdefault("createdAt", now)
        space = space_id or record.get("spaceId") or self.default_space_id
        if space and "spaceId" not in record:
            record["spaceId"] = space
        if self.cipher is not None:
            # Raises VaultLockedError before anything is written; the caller's write() rolls back.
            record = self.cipher.seal_insert(collection, record)
            space = record.get("spaceId")
        origin = origin or origin_of(actor)
        stamp: Stamp = (next_local_at(now, None), origin, actor)
        state = RecordState(record, dict.fromkeys(record, stamp))
        self._save_previous(app, collection, record_id, None)
        self.conn.execute(UPSERT, state_row(app, collection, record_id, state))
        change = {"table": collection, "id": record_id, "op": "insert", "data": record}
        self._enqueue(app, change, actor, origin, space if isinstance(space, str) else None)
        cs.add(self.changed, app, collection, record_id)
        return record_id

    def update(
        self,
        app: str,
        collection: str,
        record_id: str,
        fields: dict[str, Any],
        *,
        actor: Any,
        origin: str | None = None,
    ) -> None:
        """Change some fields (userId, spaceId and authorId are immutable, as upstream)."""
        fields = {k: v for k, v in fields.items() if k not in IMMUTABLE}
        if not fields:
            return
        state = self._existing(app, collection, record_id)
        if self.cipher is not None:
            fields = self.cipher.seal_update(collection, fields, existing=state.data)
        self._save_previous(app, collection, record_id, state)
        origin = origin or origin_of(actor)
        now = now_ms()
        wire: dict[str, dict[str, Any]] = {}
        for name, value in fields.items():
            at = next_local_at(now, state.meta.get(name))
            state.data[name] = value
            state.meta[name] = (at, origin, actor)
            wire[name] = {"value": value, "at": wire_at(at), "updatedAt": wire_at(at)}
        self.conn.execute(UPSERT, state_row(app, collection, record_id, state))
        change: dict[str, Any] = {"table": collection, "id": record_id, "op": "update", "fields": wire}
        deleted = fields.get("deletedAt")
        if isinstance(deleted, str) and deleted:
            change["op"] = "delete"  # upstream: a soft delete travels as op delete + deletedAt
            change["deletedAt"] = deleted
        space = state.data.get("spaceId")
        self._enqueue(app, change, actor, origin, space if isinstance(space, str) else None)
        cs.add(self.changed, app, collection, record_id)

    def soft_delete(
        self, app: str, collection: str, record_id: str, *, actor: Any, origin: str | None = None
    ) -> None:
        """Mark a record deleted (`deletedAt` = now), the way upstream's module stores do."""
        self.update(app, collection, record_id, {"deletedAt": now_ms()}, actor=actor, origin=origin)

    def journal(self, kind: str, reason: str, **detail: Any) -> None:
        write_journal(self.conn, kind, reason, detail=detail)

    # -- internals -------------------------------------------------------------------------
    def _existing(self, app: str, collection: str, record_id: str) -> RecordState:
        state = read_state(self.conn, app, collection, record_id)
        if state is None:
            raise StoreError(f"{app}/{collection} {record_id} does not exist")
        if state.hard_deleted:
            raise StoreError(f"{app}/{collection} {record_id} was deleted for good")
        return state

    def _save_previous(
        self, app: str, collection: str, record_id: str, state: RecordState | None
    ) -> None:
        """Keep the record as it was before the group first touched it (for undo)."""
        if self.group is None:
            return
        if state is None:
            saved: tuple[Any, ...] = (0, None, None, None)
        else:
            row = state_row(app, collection, record_id, state)
            saved = (1, row[3], row[4], row[5])
        self.conn.execute(
            "INSERT OR IGNORE INTO undo_saves "
            "(group_id, app, collection, id, existed, data, meta, deleted_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (self.group, app, collection, record_id, *saved),
        )

    def _enqueue(
        self, app: str, change: dict[str, Any], actor: Any, origin: str, space_id: str | None
    ) -> None:
        change["actor"] = actor
        change["origin"] = origin
        if self.cipher is not None:
            # The real personal Space id replaces the sentinel once it is known.
            space_id = self.cipher.context.wire_space_id(space_id)
        if space_id:
            change["spaceId"] = space_id
        self.conn.execute(
            "INSERT INTO outbox (app, collection, record_id, op, change, created_at, group_id, "
            "hold_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (app, change["table"], change["id"], change["op"], dumps(change),
             format_ms(utc_now()), self.group, self._hold_until),
        )
        self._entries += 1

    def finish(self) -> None:
        """Book the group (entry count and hold) before commit."""
        if self.group is None or self._entries == 0:
            return
        self.conn.execute(
            "INSERT INTO groups (group_id, created_at, hold_until, entries) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (group_id) DO UPDATE SET entries = entries + excluded.entries, "
            "hold_until = excluded.hold_until",
            (self.group, now_ms(), self._hold_until, self._entries),
        )

