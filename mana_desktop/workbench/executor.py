"""Running a tool: build its record operations, then apply them in the caller's transaction.

Building is pure and raises `ToolFailure` before anything is written, so a failing tool never
leaves half a write behind. Applying stamps every write with the AI actor (origin "agent").
An insert whose derived id already exists means the same step was approved on another device
and synced here first: we keep that record instead of writing a second one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from mana_desktop.domain.actor import Actor, origin_for
from mana_desktop.domain.crypto import DecryptError
from mana_desktop.domain.records import RecordOp, StepRef, ToolFailure, build
from mana_desktop.store.replica import Replica

Reveal = Callable[[str, Mapping[str, Any]], dict[str, Any]]
_COUNT_OPEN = "SELECT count(*) FROM records WHERE app = ? AND collection = ? AND deleted_at IS NULL"


class ReplicaLookup:
    """The read side builders need, over the replica (deletedAt folded into the data)."""

    def __init__(self, replica: Replica, tx: Any = None, reveal: Reveal | None = None) -> None:
        self._replica = replica
        self._tx = tx
        self._reveal: Reveal = reveal or (lambda _collection, data: dict(data))

    def get(self, app: str, collection: str, record_id: str) -> Mapping[str, Any] | None:
        source = self._tx if self._tx is not None else self._replica
        record = source.get(app, collection, record_id)
        if record is None:
            return None
        return {
            **self._open(collection, record.data),
            "id": record.id,
            "deletedAt": record.deleted_at,
        }

    def rows(self, app: str, collection: str) -> list[Mapping[str, Any]]:
        return [
            {**self._open(collection, r.data), "id": r.id}
            for r in self._replica.list(app, collection)
        ]

    def _open(self, collection: str, data: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return self._reveal(collection, data)
        except DecryptError as exc:  # a foreign blob: this tool cannot work with it
            raise ToolFailure(str(exc)) from exc

    def count_open(self, app: str, collection: str) -> int:
        # A count in SQL: decoding every task to number a new one made approve O(tasks).
        conn = getattr(self._tx, "conn", None)
        if conn is not None:
            try:
                row = conn.execute(_COUNT_OPEN, (app, collection)).fetchone()
                return int(row[0])
            except sqlite3.Error:
                pass  # a replica layout we do not know: fall back to listing
        return len(self._replica.list(app, collection))


def plan_ops(
    replica: Replica,
    tx: Any,
    tool: str,
    params: dict[str, Any],
    ref: StepRef,
    now: datetime,
    reveal: Reveal | None = None,
) -> list[RecordOp]:
    """The writes this tool call would make (raises ToolFailure with a reason).

    A locked vault raises `VaultLockedError` (the caller turns it into a message).
    """
    return build(tool, params, ref, now, ReplicaLookup(replica, tx, reveal))


def apply_ops(tx: Any, replica: Replica, ops: list[RecordOp], actor: Actor) -> list[dict[str, Any]]:
    """Apply the ops under `actor`; returns the effects (what revert needs to compensate)."""
    origin = origin_for(actor)
    effects: list[dict[str, Any]] = []
    for op in ops:
        effect: dict[str, Any] = {
            "op": op.op,
            "app": op.app,
            "collection": op.collection,
            "id": op.id,
        }
        current = tx.get(op.app, op.collection, op.id)
        if op.op == "insert":
            if current is not None:
                effect["existed"] = True  # created by the same step on another device
            else:
                tx.insert(op.app, op.collection, dict(op.data), actor=actor, origin=origin)
        elif op.op == "update":
            before = current.data if current is not None else {}
            effect["before"] = {k: before.get(k) for k in op.data}
            tx.update(op.app, op.collection, op.id, dict(op.data), actor=actor, origin=origin)
        elif op.op == "soft_delete":
            tx.soft_delete(op.app, op.collection, op.id, actor=actor, origin=origin)
        effects.append(effect)
    return effects
