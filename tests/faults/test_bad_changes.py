"""The bad-input catalogue, client side: hostile server changes against the replica's apply path.

Every case applies one bad change in the same page as a good one, on a replica that already
holds data, and shows: no exception, the bad change dropped with a journal entry (or applied
harmlessly), the good change applied, and the earlier data intact.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mana_desktop.store.replica", reason="the replica store has not landed")

from mana_desktop.store.replica import Replica

APP, TABLE = "todo", "tasks"
T0 = "2026-04-27T09:00:00.000Z"


@pytest.fixture
def replica(tmp_path: Path) -> Iterator[Replica]:
    r = Replica.open(tmp_path / "replica.db")
    r.apply_remote(APP, [_insert("keep", title="existing", at=T0)], collection=TABLE)
    yield r
    r.close()


def _insert(rid: str, *, title: str = "t", at: str = T0, **extra: Any) -> dict[str, Any]:
    return {"table": TABLE, "id": rid, "op": "insert",
            "data": {"id": rid, "title": title, "createdAt": at, **extra}}


def _update(rid: str, field: str, value: Any, at: str) -> dict[str, Any]:
    return {"table": TABLE, "id": rid, "op": "update", "fields": {field: {"value": value, "at": at}}}


def _assert_intact(replica: Replica) -> None:
    keep = replica.get(APP, TABLE, "keep")
    assert keep is not None and keep.data["title"] == "existing"
    good = replica.get(APP, TABLE, "good")
    assert good is not None and good.data["title"] == "fine"


BAD_CHANGES: dict[str, Any] = {
    "not an object": "insert keep",
    "null change": None,
    "missing table": {"id": "x1", "op": "insert", "data": {"id": "x1"}},
    "missing id": {"table": TABLE, "op": "insert", "data": {"title": "no id"}},
    "missing op": {"table": TABLE, "id": "x2", "data": {"id": "x2"}},
    "id is a number": {"table": TABLE, "id": 5, "op": "insert", "data": {"id": 5}},
    "table is a list": {"table": ["tasks"], "id": "x3", "op": "insert", "data": {}},
    "op is a number": {"table": TABLE, "id": "x4", "op": 7, "data": {}},
    "unknown op": {"table": TABLE, "id": "keep", "op": "upsert", "data": {"title": "hijack"}},
    "data is null on insert": {"table": TABLE, "id": "x5", "op": "insert", "data": None},
    "data is a list": {"table": TABLE, "id": "x6", "op": "insert", "data": [1, 2]},
    "fields is null": {"table": TABLE, "id": "keep", "op": "update", "fields": None},
    "fields is a string": {"table": TABLE, "id": "keep", "op": "update", "fields": "title"},
    "field entry is null": {"table": TABLE, "id": "keep", "op": "update", "fields": {"title": None}},
    "field entry without at": {"table": TABLE, "id": "keep", "op": "update",
                               "fields": {"title": {"value": "hijack"}}},
    "at is a number": _update("keep", "title", "hijack", 1e12),  # type: ignore[arg-type]
    "at is garbage": _update("keep", "title", "hijack", "yesterday"),
    "id with control characters": _insert("bad\x00id\x1b[2J"),
    "id of 100 kB": _insert("i" * 100_000),
    "schema version from the future": {**_insert("x7"), "schemaVersion": 99},
    "deletedAt is an object": {"table": TABLE, "id": "keep", "op": "delete",
                               "deletedAt": {"when": "now"}},
}


@pytest.mark.parametrize("name", sorted(BAD_CHANGES))
def test_bad_change_is_dropped_and_journaled(replica: Replica, name: str) -> None:
    bad = BAD_CHANGES[name]
    result = replica.apply_remote(APP, [bad, _insert("good", title="fine")], collection=TABLE)
    _assert_intact(replica)
    assert result.applied >= 1
    touched = set().union(*result.changed.values()) if result.changed else set()
    if result.dropped:
        assert replica.journal(limit=20), f"{name}: no journal entry for a dropped change"
    else:  # applied harmlessly: it changed nothing but the good record
        assert touched <= {"good"}, f"{name}: a bad change altered {touched - {'good'}}"


def test_unknown_table_is_kept_apart(replica: Replica) -> None:
    """A table we do not subscribe to must not leak into another collection."""
    change = {"table": "evil", "id": "keep", "op": "insert", "data": {"id": "keep", "title": "x"}}
    replica.apply_remote(APP, [change, _insert("good", title="fine")], collection=TABLE)
    _assert_intact(replica)
    assert all(r.data.get("title") != "x" for r in replica.list(APP, TABLE))


def test_ten_mib_string_is_stored_or_dropped_cleanly(replica: Replica) -> None:
    big = "x" * (10 * 1024 * 1024)
    result = replica.apply_remote(APP, [_insert("big", title=big), _insert("good", title="fine")],
                                  collection=TABLE)
    _assert_intact(replica)
    rec = replica.get(APP, TABLE, "big")
    if rec is None:
        assert result.dropped == 1 and replica.journal(limit=5)
    else:
        assert rec.data["title"] == big


def test_deep_nesting_does_not_crash(replica: Replica) -> None:
    """As deep as `json.loads` lets through from the wire (deeper fails in the engine's parse,
    see test_bad_server.py)."""
    deep = json.loads('{"n":' * 500 + "1" + "}" * 500)
    result = replica.apply_remote(
        APP, [_insert("deep", notes=deep), _insert("good", title="fine")], collection=TABLE
    )
    _assert_intact(replica)
    assert result.applied + result.dropped == 2


def test_lone_surrogates_do_not_crash(replica: Replica) -> None:
    """JSON can carry `\\ud800`, which is not encodable as UTF-8."""
    change = json.loads('{"table":"tasks","id":"s1","op":"insert","data":{"id":"s1","title":"a\\ud800b"}}')
    replica.apply_remote(APP, [change, _insert("good", title="fine")], collection=TABLE)
    _assert_intact(replica)


def test_offset_timestamps_compare_as_instants(replica: Replica) -> None:
    """11:30+02:00 is 09:30Z: older than a 10:00Z value, so it must lose (not win as text)."""
    replica.apply_remote(APP, [_update("keep", "title", "at ten", "2026-04-27T10:00:00.000Z")],
                         collection=TABLE)
    replica.apply_remote(APP, [_update("keep", "title", "older", "2026-04-27T11:30:00.000+02:00")],
                         collection=TABLE)
    rec = replica.get(APP, TABLE, "keep")
    assert rec is not None and rec.data["title"] == "at ten"
    replica.apply_remote(APP, [_update("keep", "title", "newer", "2026-04-27T12:30:00.000+02:00")],
                         collection=TABLE)
    rec = replica.get(APP, TABLE, "keep")
    assert rec is not None and rec.data["title"] == "newer"


def test_year_2099_stamp_does_not_crash(replica: Replica) -> None:
    result = replica.apply_remote(
        APP, [_update("keep", "priority", "high", "2099-01-01T00:00:00.000Z"), _insert("good", title="fine")],
        collection=TABLE,
    )
    _assert_intact(replica)
    assert result.applied + result.dropped == 2


def test_year_2099_stamp_is_journaled(replica: Replica) -> None:
    replica.apply_remote(APP, [_update("keep", "priority", "high", "2099-01-01T00:00:00.000Z")],
                         collection=TABLE)
    kinds = " ".join(f"{e.kind} {e.reason}" for e in replica.journal(limit=10))
    assert "future" in kinds.lower() or "2099" in kinds


def test_html_and_control_characters_are_stored_verbatim(replica: Replica) -> None:
    title = '<script>alert(1)</script><img src=x onerror=alert(2)>\x07\x1b[31mred\u202e'
    replica.apply_remote(APP, [_insert("html", title=title)], collection=TABLE)
    rec = replica.get(APP, TABLE, "html")
    assert rec is not None and rec.data["title"] == title  # data, not markup: never altered


def test_huge_iterations_array_applies_in_bounded_time(replica: Replica) -> None:
    iterations = [
        {"id": f"it-{i}", "startedAt": T0, "overallStatus": "awaiting-review", "plan": [
            {"id": f"s-{i}", "summary": "<b>x</b>", "intent": {"kind": "toolCall", "toolName": "create_task",
                                                        "params": {"title": "t"}}, "status": "planned"}]}
        for i in range(20_000)
    ]
    mission = {"table": "aiMissions", "id": "m-huge", "op": "insert",
               "data": {"id": "m-huge", "title": "huge", "createdAt": T0, "state": "active",
                        "iterations": iterations}}
    started = time.monotonic()
    result = replica.apply_remote("ai", [mission], collection="aiMissions")
    assert result.applied == 1
    assert time.monotonic() - started < 30


def test_page_of_only_garbage_keeps_cursor_semantics(replica: Replica) -> None:
    """A page whose every change is bad still stores its cursor (no endless re-pull loop)."""
    cursor = "2026-04-27T09:30:00.123456Z"
    replica.apply_remote(APP, [None, {"op": "nope"}], collection=TABLE, cursor=cursor)
    assert replica.cursor(APP, TABLE) == cursor
    _keep = replica.get(APP, TABLE, "keep")
    assert _keep is not None and _keep.data["title"] == "existing"
