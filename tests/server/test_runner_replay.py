"""Replaying the change log: field-level LWW that converges for any delivery order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mana_desktop.domain.timeutil import format_ms
from mana_desktop.server.runner_replay import LogRow, field_instants, replay

BASE = datetime(2026, 4, 15, 8, 0, tzinfo=UTC)


def update(minute: int, **data: object) -> LogRow:
    at = format_ms(BASE + timedelta(minutes=minute))
    return LogRow("r", "update", dict(data), {k: at for k in data}, BASE)


rows = st.lists(
    st.builds(
        lambda minute, field, value: update(minute, **{field: value}),
        st.integers(0, 5),
        st.sampled_from(["title", "state", "nextRunAt"]),
        st.one_of(st.integers(0, 3), st.text(max_size=2)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=100, deadline=None)
@given(rows, st.randoms())
def test_any_order_converges(changes: list[LogRow], rnd: object) -> None:
    shuffled = list(changes)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert replay(changes)["r"].data == replay(shuffled)["r"].data


def test_later_stamp_wins_regardless_of_arrival() -> None:
    late_first = [update(5, state="active"), update(1, state="paused")]
    assert replay(late_first)["r"].data["state"] == "active"


def test_insert_uses_updated_at_and_an_update_without_stamps_is_ignored() -> None:
    insert = LogRow("r", "insert", {"title": "a", "updatedAt": format_ms(BASE)}, {}, BASE)
    older = update(-10, title="old")
    unstamped = LogRow("r", "update", {"title": "ghost"}, {}, BASE + timedelta(hours=1))
    assert replay([insert, older, unstamped])["r"].data["title"] == "a"


def test_delete_and_deleted_at_mark_the_record() -> None:
    gone = LogRow("r", "delete", {}, {}, BASE)
    assert replay([update(0, title="x"), gone])["r"].deleted
    soft = update(1, deletedAt=format_ms(BASE))
    assert replay([update(0, title="x"), soft])["r"].deleted


def test_field_meta_shapes() -> None:
    meta = {"a": "2026-01-01T00:00:00Z", "b": {"at": "2026-01-02T00:00:00Z"}, "c": 5}
    assert field_instants(meta) == {"a": "2026-01-01T00:00:00Z", "b": "2026-01-02T00:00:00Z"}
