"""The mana-sync wire shapes, shared by the reference server and the sync client.

Key names, omission rules and limits follow upstream mana-sync (sync-protocol.md §2–3).
Two dialects exist: HEAD's `FieldChange = {value, at}` (dialect "at", the default) and the
OLD `{value, updatedAt}` of commit 5e01763ca (dialect "updatedAt"). Keys marked NotRequired
are omitted from the wire when absent (Go `omitempty`).
"""

from __future__ import annotations

from typing import Any, Final, Literal, NotRequired, TypedDict

# Limits and versions (upstream constants).
PAGE_SIZE: Final = 1000  # rows per pull page; the server queries PAGE_SIZE + 1 to set hasMore
PUSH_CAP: Final = 5000  # rows returned at most by a push response
MAX_BODY: Final = 10 * 1024 * 1024  # request body limit; over it upstream answers 400, not 413
SCHEMA_VERSION: Final = 1  # CurrentSchemaVersion == MaxSupportedSchemaVersion

Op = Literal["insert", "update", "delete"]
OPS: Final[frozenset[str]] = frozenset({"insert", "update", "delete"})

Dialect = Literal["at", "updatedAt"]
DIALECT_AT: Final = "at"  # HEAD (907a3add4): FieldChange {value, at}, + spaceId, + origin
DIALECT_UPDATED_AT: Final = "updatedAt"  # OLD (5e01763ca): FieldChange {value, updatedAt}
DIALECTS: Final[tuple[str, ...]] = (DIALECT_AT, DIALECT_UPDATED_AT)

# Header and SSE vocabulary.
CLIENT_ID_HEADER: Final = "X-Client-Id"
SSE_EVENT_CHANGES: Final = "changes"
SSE_EVENT_HEARTBEAT: Final = "heartbeat"
EPOCH_SINCE: Final = "1970-01-01T00:00:00.000Z"

# The 402 body of the billing gate (JSON, unlike every other error body).
SYNC_INACTIVE_BODY: Final = {
    "error": "sync_inactive",
    "message": "Cloud Sync ist nicht aktiv. Aktiviere Sync in den Einstellungen.",
}


class FieldChange(TypedDict):
    """HEAD dialect: one field's new value and the client instant (`YYYY-MM-DDTHH:MM:SS.mmmZ`)."""

    value: Any
    at: str


class FieldChangeOld(TypedDict):
    """OLD dialect (`--dialect updatedAt`)."""

    value: Any
    updatedAt: str


class Change(TypedDict):
    """One change, client→server (push) and server→client (push response, pull, SSE).

    Server→client: `eventId`/`schemaVersion` on push and pull, never on SSE; `fields` only on
    update rows (omitted when empty); `data` only on insert rows (omitted when empty);
    `deletedAt` only on delete rows; `spaceId`/`origin` only in the "at" dialect and only when
    set (`spaceId` never on SSE); `actor` when stored (a JSON null round-trips as null).
    """

    table: str
    id: str
    op: Op
    eventId: NotRequired[str]
    schemaVersion: NotRequired[int]
    fields: NotRequired[dict[str, FieldChange]]
    data: NotRequired[dict[str, Any]]
    deletedAt: NotRequired[str]
    spaceId: NotRequired[str]
    actor: NotRequired[Any]
    origin: NotRequired[str]


class Changeset(TypedDict):
    """The body of `POST /sync/{appId}`. `appId` is ignored (the path wins)."""

    clientId: str
    since: str
    changes: list[Change] | None
    appId: NotRequired[str]
    schemaVersion: NotRequired[int]


class SyncResponse(TypedDict):
    """Push and pull responses. `conflicts` is always `[]`; `hasMore` only when true."""

    serverChanges: list[Change]
    conflicts: list[Any]
    syncedUntil: str
    hasMore: NotRequired[bool]


class StreamChanges(TypedDict):
    """The data of an SSE `changes` event."""

    changes: list[Change]
    hasMore: bool
    syncedUntil: str
    table: str


class WsMessage(TypedDict, total=False):
    """Both directions of `/ws` and `/ws/{appId}`: auth, auth-ok, sync-available, ping, pong,
    error (whose text travels in `tables`)."""

    type: str
    appId: str
    tables: list[str]
    token: str


# WebSocket close codes and reasons (upstream hub).
WS_CLOSE_POLICY: Final = 1008
WS_CLOSE_NORMAL: Final = 1000
WS_REASON_AUTH_TIMEOUT: Final = "auth timeout"
WS_REASON_INVALID_TOKEN: Final = "invalid token"
WS_REASON_MISSING_SUBJECT: Final = "missing subject"
WS_REASON_CLOSING: Final = "closing"
WS_AUTH_DEADLINE_S: Final = 10.0
SSE_HEARTBEAT_S: Final = 30.0


def field_time_key(dialect: str) -> str:
    """The FieldChange key holding the field's instant in a dialect ("at" or "updatedAt")."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r} (expected one of {', '.join(DIALECTS)})")
    return "updatedAt" if dialect == DIALECT_UPDATED_AT else "at"
