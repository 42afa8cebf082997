"""Outbox entries to wire changes, and the few cursor computations pull and push need."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from mana_desktop.domain.timeutil import format_nano, try_parse_instant
from mana_desktop.sync.ports import OutboxEntryLike


def wire_change(entry: OutboxEntryLike) -> dict[str, Any]:
    """The change to push for an outbox entry.

    The store keeps the wire change ready; we make sure of the envelope keys and that every
    field change carries both `at` (HEAD) and `updatedAt` (OLD), so either server dialect
    reads our time (ARCHITECTURE decision 4: servers ignore unknown keys).
    """
    change = dict(entry.change)
    change.setdefault("table", entry.collection)
    change.setdefault("id", entry.record_id)
    change.setdefault("op", entry.op)
    fields = change.get("fields")
    if isinstance(fields, dict):
        change["fields"] = {name: _both_keys(fc) for name, fc in fields.items()}
    return change


def _both_keys(field_change: Any) -> Any:
    if not isinstance(field_change, dict):
        return field_change
    at = field_change.get("at") or field_change.get("updatedAt")
    if not isinstance(at, str):
        return field_change
    return {**field_change, "at": at, "updatedAt": at}


def overlap_since(cursor: str | None, overlap_s: float) -> str | None:
    """The cursor moved back by the overlap window (re-read rows committed late, F2)."""
    when = try_parse_instant(cursor) if cursor else None
    if when is None:
        return None
    return format_nano(when - timedelta(seconds=overlap_s))


def later_cursor(stored: str | None, new: str) -> str:
    """The later of two cursors, compared as instants (an overlap page never moves back)."""
    old = try_parse_instant(stored) if stored else None
    fresh = try_parse_instant(new)
    if old is not None and (fresh is None or old > fresh):
        return stored or new
    return new


def earliest(cursors: Iterable[str]) -> datetime | None:
    parsed = [p for p in (try_parse_instant(c) for c in cursors) if p is not None]
    return min(parsed) if parsed else None


def latest(cursors: Iterable[str]) -> datetime | None:
    parsed = [p for p in (try_parse_instant(c) for c in cursors) if p is not None]
    return max(parsed) if parsed else None
