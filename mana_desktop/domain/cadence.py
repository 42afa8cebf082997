"""When a mission runs next, and how to say it in words.

A cadence is the mission's `cadence` JSON object (spec ai-workbench §1.2):
`{"kind": "manual"}`, `{"kind": "interval", "everyMinutes": N}`,
`{"kind": "daily", "atHour": H, "atMinute": M}`, `{"kind": "weekly", "dayOfWeek": D, "atHour": H}`
(D: 0 = Sunday, as JavaScript's `getDay`) or `{"kind": "cron", "expression": "..."}`.

`next_run_at` follows upstream's `nextRunForCadence`: the first instant strictly after `after`
(daily and weekly in local wall-clock time), None for manual and cron (cron is shown, never
computed). Unlike upstream we validate: a malformed cadence raises `CadenceError` with a reason
instead of producing `NaN` dates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal

Lang = Literal["en", "de"]
KINDS = ("manual", "interval", "daily", "weekly", "cron")

_DAY_NAMES = {
    "en": ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"),
    "de": ("Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"),
}


class CadenceError(ValueError):
    """A cadence object that cannot be scheduled (the message says which field and why)."""


def _int_field(cadence: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = cadence.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise CadenceError(f"cadence {cadence.get('kind')}: {name} must be a whole number")
    if not low <= int(value) <= high:
        raise CadenceError(f"cadence {cadence.get('kind')}: {name} must be {low}..{high}")
    return int(value)


def _interval_minutes(cadence: Mapping[str, Any]) -> float:
    value = cadence.get("everyMinutes")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CadenceError("cadence interval: everyMinutes must be a number")
    if not math.isfinite(value) or value <= 0:
        raise CadenceError("cadence interval: everyMinutes must be greater than 0")
    return float(value)


def validate(cadence: object) -> dict[str, Any]:
    """A clean copy of `cadence` with only its known fields, or CadenceError."""
    if not isinstance(cadence, Mapping):
        raise CadenceError("cadence must be an object with a 'kind'")
    kind = cadence.get("kind")
    if kind == "manual":
        return {"kind": "manual"}
    if kind == "interval":
        minutes = _interval_minutes(cadence)
        return {
            "kind": "interval",
            "everyMinutes": int(minutes) if minutes.is_integer() else minutes,
        }
    if kind == "daily":
        minute = _int_field(cadence, "atMinute", 0, 59) if "atMinute" in cadence else 0
        return {"kind": "daily", "atHour": _int_field(cadence, "atHour", 0, 23), "atMinute": minute}
    if kind == "weekly":
        return {
            "kind": "weekly",
            "dayOfWeek": _int_field(cadence, "dayOfWeek", 0, 6),
            "atHour": _int_field(cadence, "atHour", 0, 23),
        }
    if kind == "cron":
        expression = cadence.get("expression")
        if not isinstance(expression, str):
            raise CadenceError("cadence cron: expression must be a string")
        return {"kind": "cron", "expression": expression}
    raise CadenceError(f"unknown cadence kind {kind!r} (expected one of {', '.join(KINDS)})")


def _wall(after: datetime, tz: tzinfo | None) -> datetime:
    """`after` as naive wall-clock time in `tz` (None: this machine's local zone)."""
    return (after.astimezone(tz) if tz is not None else after.astimezone()).replace(tzinfo=None)


def _to_utc(wall: datetime, tz: tzinfo | None) -> datetime:
    # A naive datetime's astimezone() treats it as local time and applies that day's DST offset.
    aware = wall.replace(tzinfo=tz) if tz is not None else wall.astimezone()
    return aware.astimezone(UTC)


def next_run_at(
    cadence: Mapping[str, Any], after: datetime, tz: tzinfo | None = None
) -> datetime | None:
    """The next run strictly after `after` (aware), in UTC; None for manual and cron.

    `tz` is the zone of daily/weekly wall-clock times; None means the local zone of this machine
    (as upstream, which computes in the browser's zone).
    """
    if after.tzinfo is None:
        raise ValueError("next_run_at needs an aware datetime")
    clean = validate(cadence)
    kind = clean["kind"]
    if kind == "interval":
        return (after + timedelta(minutes=clean["everyMinutes"])).astimezone(UTC)
    if kind == "daily":
        wall = _wall(after, tz)
        candidate = wall.replace(
            hour=clean["atHour"], minute=clean["atMinute"], second=0, microsecond=0
        )
        if _to_utc(candidate, tz) <= after:
            candidate += timedelta(days=1)
        return _to_utc(candidate, tz)
    if kind == "weekly":
        wall = _wall(after, tz)
        candidate = wall.replace(hour=clean["atHour"], minute=0, second=0, microsecond=0)
        js_weekday = (candidate.weekday() + 1) % 7  # Python Monday=0 -> JavaScript Sunday=0
        diff = (clean["dayOfWeek"] - js_weekday) % 7
        if diff == 0 and _to_utc(candidate, tz) <= after:
            diff = 7
        return _to_utc(candidate + timedelta(days=diff), tz)
    return None


def describe(cadence: object, lang: str = "en") -> str:
    """The cadence in a few words ("every 30 min", "täglich um 09:00"); never raises."""
    de = lang.lower().startswith("de")
    try:
        clean = validate(cadence)
    except CadenceError:
        return "ungültiger Rhythmus" if de else "invalid schedule"
    kind = clean["kind"]
    if kind == "manual":
        return "manuell" if de else "manual"
    if kind == "interval":
        minutes = clean["everyMinutes"]
        shown = f"{minutes:g}"
        return f"alle {shown} min" if de else f"every {shown} min"
    if kind == "daily":
        clock = f"{clean['atHour']:02d}:{clean['atMinute']:02d}"
        return f"täglich um {clock}" if de else f"daily at {clock}"
    if kind == "weekly":
        day = _DAY_NAMES["de" if de else "en"][clean["dayOfWeek"]]
        clock = f"{clean['atHour']:02d}:00"
        return f"wöchentlich am {day} um {clock}" if de else f"weekly on {day} at {clock}"
    return f"cron: {clean['expression']}"


def describe_next_run(next_run: datetime | None, now: datetime, lang: str = "en") -> str:
    """ "in 5 min" / "3 h ago" (German: "in 5 min" / "vor 3 h"); empty when not scheduled."""
    if next_run is None:
        return ""
    de = lang.lower().startswith("de")
    seconds = (next_run - now).total_seconds()
    span = abs(seconds)
    if span < 60:
        return "jetzt" if de else "now"
    if span < 3600:
        amount = f"{round(span / 60)} min"
    elif span < 86400:
        amount = f"{round(span / 3600)} h"
    else:
        amount = f"{round(span / 86400)} d"
    if seconds > 0:
        return f"in {amount}"
    return f"vor {amount}" if de else f"{amount} ago"
