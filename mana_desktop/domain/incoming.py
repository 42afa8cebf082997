"""Validation of changes that come from a server (spec §7.6 step 1, plus real checks).

`parse_change` turns one wire change into an `Incoming` (field writes with canonical stamps)
or a one-line reason why it is dropped. Both wire dialects are read: a field change may carry
`at` (HEAD) or `updatedAt` (OLD); `at` wins when both are present. Beyond upstream's shape
checks we also reject what would corrupt the replica: timestamps that are not instants, an
insert without `data`, ids that are too long or contain control characters, and changes from
a newer schema version than we understand.
"""

from __future__ import annotations

from typing import Any, Final

from mana_desktop.domain.lww import CANON_EPOCH, INTERNAL_KEYS, canon_at

SUPPORTED_SCHEMA: Final = 1
MAX_ID_LENGTH: Final = 512
OPS: Final[frozenset[str]] = frozenset({"insert", "update", "delete"})

FieldWrite = tuple[str, Any, str]  # (field, value, canonical at)


class Incoming:
    """A validated remote change, reduced to field writes."""

    __slots__ = ("actor", "event_id", "hard_delete", "id", "op", "table", "writes")

    def __init__(
        self,
        table: str,
        record_id: str,
        op: str,
        event_id: str | None,
        actor: Any,
        writes: list[FieldWrite],
        hard_delete: bool = False,
    ) -> None:
        self.table = table
        self.id = record_id
        self.op = op
        self.event_id = event_id
        self.actor = actor
        self.writes = writes
        self.hard_delete = hard_delete


def _bad_key(value: object, name: str) -> str | None:
    if not isinstance(value, str) or not value:
        return f"{name} must be a non-empty string"
    if len(value) > MAX_ID_LENGTH:
        return f"{name} is longer than {MAX_ID_LENGTH} characters"
    if not value.isprintable():
        return f"{name} contains control characters"
    return None


def _envelope_reason(raw: dict[str, Any]) -> str | None:
    """Upstream's shape checks on the envelope (everything except fields and data)."""
    reason = _bad_key(raw.get("table"), "table") or _bad_key(raw.get("id"), "id")
    if reason:
        return reason
    if raw.get("op") not in OPS:
        return f"op must be insert, update or delete, not {str(raw.get('op'))[:20]!r}"
    version = raw.get("schemaVersion")
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, int | float):
            return "schemaVersion must be a number"
        if version > SUPPORTED_SCHEMA:
            return f"schemaVersion {version} is newer than this client understands"
    for key, kind in (("eventId", str), ("origin", str), ("spaceId", str)):
        value = raw.get(key)
        if value is not None and not isinstance(value, kind):
            return f"{key} must be a string"
    actor = raw.get("actor")
    if actor is not None and not isinstance(actor, dict):
        return "actor must be an object"
    return None


def _field_writes(fields: object) -> list[FieldWrite] | str:
    if not isinstance(fields, dict):
        return "fields must be an object"
    writes: list[FieldWrite] = []
    for name, entry in fields.items():
        if not isinstance(entry, dict) or "value" not in entry:
            return f"fields.{name[:40]} must be an object with a value"
        at_text = entry.get("at")
        if at_text is None:
            at_text = entry.get("updatedAt")
        if at_text is None:
            at = CANON_EPOCH  # upstream compares '' here: loses to any stamp
        elif not isinstance(at_text, str):
            return f"fields.{name[:40]}.at must be a string"
        else:
            canonical = canon_at(at_text)
            if canonical is None:
                return f"fields.{name[:40]}.at is not an instant: {at_text[:40]!r}"
            at = canonical
        if name and name not in INTERNAL_KEYS:
            writes.append((name, entry["value"], at))
    return writes


def _insert_time(data: dict[str, Any]) -> str:
    """upstream: data.updatedAt ?? data.createdAt ?? receiver now(); we use the epoch (F16)."""
    for key in ("updatedAt", "createdAt"):
        value = data.get(key)
        if isinstance(value, str):
            canonical = canon_at(value)
            if canonical is not None:
                return canonical
    return CANON_EPOCH


def parse_change(raw: object) -> Incoming | str:
    """A validated change, or the reason it must be dropped."""
    if not isinstance(raw, dict):
        return f"a change must be an object, not {type(raw).__name__}"
    reason = _envelope_reason(raw)
    if reason:
        return reason
    op: str = raw["op"]
    writes: list[FieldWrite] = []
    data = raw.get("data")
    if data is not None and not isinstance(data, dict):
        return "data must be an object"
    if op == "insert":
        if data is None:
            return "an insert must carry data"
        at = _insert_time(data)
        writes = [(k, v, at) for k, v in data.items() if k not in INTERNAL_KEYS]
    if raw.get("fields") is not None and op != "insert":
        parsed = _field_writes(raw["fields"])
        if isinstance(parsed, str):
            return parsed
        writes = parsed
    deleted_at = raw.get("deletedAt")
    hard_delete = False
    if deleted_at is not None:
        if not isinstance(deleted_at, str):
            return "deletedAt must be a string"
        canonical = canon_at(deleted_at)
        if canonical is None:
            return f"deletedAt is not an instant: {deleted_at[:40]!r}"
        writes = [w for w in writes if w[0] != "deletedAt"]
        writes.append(("deletedAt", deleted_at, canonical))
    elif op == "delete":
        hard_delete = True
    return Incoming(raw["table"], raw["id"], op, raw.get("eventId"), raw.get("actor"), writes, hard_delete)


def is_valid_change(raw: object) -> bool:
    """upstream's `isValidSyncChange`, with our stricter checks."""
    return not isinstance(parse_change(raw), str)
