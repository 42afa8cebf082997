"""Cadence math (upstream `nextRunForCadence` semantics) and its words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mana_desktop.domain.cadence import (
    CadenceError,
    describe,
    describe_next_run,
    next_run_at,
    validate,
)

BERLIN = ZoneInfo("Europe/Berlin")
# A Wednesday.
WED_10 = datetime(2026, 4, 15, 10, 0, tzinfo=BERLIN)


def test_manual_and_cron_never_scheduled() -> None:
    assert next_run_at({"kind": "manual"}, WED_10) is None
    assert next_run_at({"kind": "cron", "expression": "0 9 * * 1"}, WED_10) is None


def test_interval_adds_minutes_in_utc() -> None:
    result = next_run_at({"kind": "interval", "everyMinutes": 90}, WED_10)
    assert result == WED_10 + timedelta(minutes=90)
    assert result is not None and result.tzinfo == UTC


def test_interval_accepts_fractional_minutes_for_short_demo_cadence() -> None:
    result = next_run_at({"kind": "interval", "everyMinutes": 0.5}, WED_10)
    assert result == WED_10 + timedelta(seconds=30)


def test_daily_later_today_or_tomorrow() -> None:
    later = next_run_at({"kind": "daily", "atHour": 18, "atMinute": 30}, WED_10, BERLIN)
    assert later == datetime(2026, 4, 15, 18, 30, tzinfo=BERLIN)
    passed = next_run_at({"kind": "daily", "atHour": 9, "atMinute": 0}, WED_10, BERLIN)
    assert passed == datetime(2026, 4, 16, 9, 0, tzinfo=BERLIN)


def test_daily_exactly_now_is_not_due_again() -> None:
    # Upstream: `if (t <= from) next day`, so a run at 10:00 schedules tomorrow's 10:00.
    result = next_run_at({"kind": "daily", "atHour": 10, "atMinute": 0}, WED_10, BERLIN)
    assert result == datetime(2026, 4, 16, 10, 0, tzinfo=BERLIN)


def test_daily_across_dst_keeps_wall_clock() -> None:
    before_switch = datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN)  # CET; DST starts on the 29th
    result = next_run_at({"kind": "daily", "atHour": 9, "atMinute": 0}, before_switch, BERLIN)
    assert result is not None
    assert result.astimezone(BERLIN).hour == 9
    assert result == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)


def test_weekly_uses_javascript_day_numbers() -> None:
    monday = next_run_at({"kind": "weekly", "dayOfWeek": 1, "atHour": 9}, WED_10, BERLIN)
    assert monday == datetime(2026, 4, 20, 9, 0, tzinfo=BERLIN)
    sunday = next_run_at({"kind": "weekly", "dayOfWeek": 0, "atHour": 9}, WED_10, BERLIN)
    assert sunday == datetime(2026, 4, 19, 9, 0, tzinfo=BERLIN)


def test_weekly_same_day_later_or_next_week() -> None:
    later = next_run_at({"kind": "weekly", "dayOfWeek": 3, "atHour": 11}, WED_10, BERLIN)
    assert later == datetime(2026, 4, 15, 11, 0, tzinfo=BERLIN)
    passed = next_run_at({"kind": "weekly", "dayOfWeek": 3, "atHour": 8}, WED_10, BERLIN)
    assert passed == datetime(2026, 4, 22, 8, 0, tzinfo=BERLIN)


def test_local_zone_default_runs() -> None:
    result = next_run_at({"kind": "daily", "atHour": 9, "atMinute": 0}, WED_10)
    assert result is not None and result > WED_10
    assert result - WED_10 <= timedelta(days=1, hours=1)


@pytest.mark.parametrize(
    ("cadence", "fragment"),
    [
        (None, "must be an object"),
        ({"kind": "hourly"}, "unknown cadence kind"),
        ({"kind": "interval"}, "everyMinutes must be a number"),
        ({"kind": "interval", "everyMinutes": 0}, "greater than 0"),
        ({"kind": "interval", "everyMinutes": "5"}, "must be a number"),
        ({"kind": "daily", "atHour": 24, "atMinute": 0}, "atHour must be 0..23"),
        ({"kind": "daily", "atHour": 9.5}, "whole number"),
        ({"kind": "weekly", "dayOfWeek": 7, "atHour": 9}, "dayOfWeek must be 0..6"),
        ({"kind": "cron"}, "expression must be a string"),
    ],
)
def test_bad_cadence_is_a_clear_error(cadence: object, fragment: str) -> None:
    with pytest.raises(CadenceError, match=fragment):
        validate(cadence)


def test_naive_datetime_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_run_at({"kind": "interval", "everyMinutes": 5}, datetime(2026, 1, 1))


def test_validate_drops_unknown_fields_and_defaults_minute() -> None:
    assert validate({"kind": "daily", "atHour": 7, "x": 1}) == {
        "kind": "daily",
        "atHour": 7,
        "atMinute": 0,
    }


@pytest.mark.parametrize(
    ("cadence", "en", "de"),
    [
        ({"kind": "manual"}, "manual", "manuell"),
        ({"kind": "interval", "everyMinutes": 30}, "every 30 min", "alle 30 min"),
        ({"kind": "interval", "everyMinutes": 0.5}, "every 0.5 min", "alle 0.5 min"),
        ({"kind": "daily", "atHour": 9, "atMinute": 5}, "daily at 09:05", "täglich um 09:05"),
        (
            {"kind": "weekly", "dayOfWeek": 1, "atHour": 9},
            "weekly on Monday at 09:00",
            "wöchentlich am Montag um 09:00",
        ),
        ({"kind": "cron", "expression": "0 9 * * 1"}, "cron: 0 9 * * 1", "cron: 0 9 * * 1"),
        ({"kind": "nope"}, "invalid schedule", "ungültiger Rhythmus"),
    ],
)
def test_describe(cadence: dict[str, object], en: str, de: str) -> None:
    assert describe(cadence, "en") == en
    assert describe(cadence, "de") == de


def test_describe_next_run() -> None:
    now = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)
    assert describe_next_run(None, now) == ""
    assert describe_next_run(now + timedelta(minutes=5), now) == "in 5 min"
    assert describe_next_run(now - timedelta(hours=3), now, "de") == "vor 3 h"
    assert describe_next_run(now - timedelta(hours=3), now, "en") == "3 h ago"
    assert describe_next_run(now + timedelta(days=2), now) == "in 2 d"
    assert describe_next_run(now + timedelta(seconds=10), now, "de") == "jetzt"
