"""The value types the replica hands out (frozen: safe to pass between threads)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mana_desktop.domain.changeset import ChangeSet
from mana_desktop.domain.lww import FieldMeta


class StoreError(RuntimeError):
    """A replica operation that cannot be done, with a message for people."""


class UndoExpired(StoreError):
    """Part of the group already left this device; it can no longer be undone locally."""


@dataclass(frozen=True)
class Record:
    app: str
    collection: str
    id: str
    data: dict[str, Any]
    field_meta: dict[str, FieldMeta]
    deleted_at: str | None


@dataclass(frozen=True)
class OutboxEntry:
    """One local change waiting to be pushed. `change` is the wire change, ready to send."""

    id: int
    app: str
    collection: str
    record_id: str
    op: str
    change: dict[str, Any]
    created_at: str
    group: str | None
    hold_until: str | None
    quarantine_reason: str | None

    @property
    def actor(self) -> Any:
        return self.change.get("actor")

    @property
    def origin(self) -> str | None:
        origin = self.change.get("origin")
        return origin if isinstance(origin, str) else None

    @property
    def space_id(self) -> str | None:
        space = self.change.get("spaceId")
        return space if isinstance(space, str) else None


@dataclass(frozen=True)
class JournalEntry:
    id: int
    at: str
    kind: str  # dropped | conflict | quarantined | error | info | ...
    app: str | None
    collection: str | None
    record_id: str | None
    reason: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class Conflict:
    """A user's value replaced by a strictly newer, different server value (spec §7.6.8)."""

    app: str
    collection: str
    record_id: str
    field: str
    was_local: Any
    now_server: Any
    local_at: str
    server_at: str


@dataclass(frozen=True)
class ApplyResult:
    changed: ChangeSet
    applied: int
    dropped: int
    duplicates: int
    conflicts: list[Conflict] = field(default_factory=list)
