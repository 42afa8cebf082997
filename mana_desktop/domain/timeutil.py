"""Instants on the wire.

Upstream compares ISO strings lexicographically and loses edits when writers use different
shapes (sync-protocol.md F13). We parse every timestamp to an aware UTC datetime and compare
those; we write client `at` values fixed-width with milliseconds, and server cursors in
RFC3339Nano with microseconds, as the Go server does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ISO = "1970-01-01T00:00:00.000Z"

_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?"
    r"(Z|z|[+-]\d{2}:?\d{2})$"
)


class BadInstant(ValueError):
    """A timestamp that is not an RFC 3339 instant with a zone."""


def parse_instant(text: str) -> datetime:
    """Parse an RFC 3339 / ISO 8601 instant with a zone (Z or offset) to aware UTC.

    Fractions beyond microseconds are truncated (as Postgres does). Raises BadInstant.
    """
    if not isinstance(text, str):
        raise BadInstant(f"not a string: {type(text).__name__}")
    match = _ISO_RE.match(text.strip())
    if match is None:
        raise BadInstant(f"not an ISO instant with a zone: {text[:40]!r}")
    year, month, day, hour, minute, second, frac, zone = match.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        value = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=UTC
        )
    except ValueError as exc:
        raise BadInstant(f"impossible date: {text[:40]!r}") from exc
    return value - _offset(zone)


def _offset(zone: str) -> timedelta:
    if zone in ("Z", "z"):
        return timedelta(0)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))


def try_parse_instant(text: object) -> datetime | None:
    """parse_instant, or None for anything unparsable."""
    try:
        return parse_instant(text)  # type: ignore[arg-type]
    except BadInstant:
        return None


def format_ms(value: datetime) -> str:
    """The client wire shape: `YYYY-MM-DDTHH:MM:SS.mmmZ` (JavaScript toISOString)."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def format_nano(value: datetime) -> str:
    """The Go server shape: RFC3339Nano, fraction with trailing zeros trimmed."""
    value = value.astimezone(UTC)
    base = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond == 0:
        return base + "Z"
    return base + "." + f"{value.microsecond:06d}".rstrip("0") + "Z"


def format_micro(value: datetime) -> str:
    """Fixed-width microseconds, sortable as text (used for storage columns)."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond:06d}Z"


def utc_now() -> datetime:
    return datetime.now(UTC)


def now_ms() -> str:
    """The current instant in the client wire shape."""
    return format_ms(utc_now())
